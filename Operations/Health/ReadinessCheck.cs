using Microsoft.Extensions.Diagnostics.HealthChecks;
using Resync.Placement;
using Resync.Runtime;

namespace Resync.Operations.Health;

/// <summary>/health/ready: <see cref="Readiness"/> over the configuration grain's status, asked within <see cref="ResyncOperationsOptions.StatusTimeout"/>.</summary>
internal sealed class ReadinessCheck(
    IGrainFactory grains,
    ILocalSiloDetails silo,
    IOptions<ResyncOptions> resync,
    IOptions<ResyncOperationsOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ResyncStatus status;
        try
        {
            status = await grains.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key).GetStatus()
                .WaitAsync(options.Value.StatusTimeout, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"the cluster's status did not come: {exception.GetBaseException().Message}");
        }

        var processor = resync.Value.Silos.Processors ? ProcessorPlacement.SiloProcessor(silo.SiloAddress) : null;
        var verdict = Readiness.Assess(status, processor, (resync.Value.Deadlines.Step, resync.Value.Deadlines.Round));
        return new HealthCheckResult(verdict.Status, verdict.Reason, data: new Dictionary<string, object>
        {
            ["epoch"] = status.Configuration.Epoch,
            ["members"] = status.Configuration.Members.Length,
        });
    }
}
