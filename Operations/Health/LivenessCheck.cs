using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Resync.Operations.Health;

/// <summary>/health/live: the silo runs, that is, Orleans counts it active or still joining; not once it is stopping or dead.</summary>
internal sealed class LivenessCheck(ISiloStatusOracle membership) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentStatus;
        return Task.FromResult(status is SiloStatus.Active or SiloStatus.Joining or SiloStatus.Created
            ? HealthCheckResult.Healthy($"silo {membership.SiloAddress} is {status}")
            : HealthCheckResult.Unhealthy($"silo {membership.SiloAddress} is {status}"));
    }
}
