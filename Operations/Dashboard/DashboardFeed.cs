using System.Text.Json;

namespace Resync.Operations.Dashboard;

/// <summary>Takes snapshots of the cluster for the dashboard: its status and history, asked of the configuration grain together.</summary>
internal sealed class DashboardFeed(IGrainFactory grains, ILocalSiloDetails silo, TimeProvider time, IOptions<ResyncOperationsOptions> options)
{
    public async Task<DashboardSnapshot> TakeAsync(int history, CancellationToken cancellationToken)
    {
        var configuration = grains.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
        var timeout = options.Value.StatusTimeout;
        var status = configuration.GetStatus().WaitAsync(timeout, cancellationToken);
        var rounds = configuration.GetHistory().WaitAsync(timeout, cancellationToken);
        return DashboardSnapshot.From(await status, await rounds, silo.SiloAddress.ToParsableString(), time.GetUtcNow(), history);
    }

    /// <summary>
    /// Writes a snapshot as a server-sent event at once, then again whenever the picture changes (looked at every
    /// <see cref="ResyncOperationsOptions.DashboardRefresh"/>) or <see cref="ResyncOperationsOptions.DashboardHeartbeat"/>
    /// passed, until the client goes. A look that fails is sent as an "unavailable" event and tried again.
    /// </summary>
    public async Task StreamAsync(Func<string, string, Task> send, int history, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        string? shown = null;
        var sentAt = long.MinValue;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var snapshot = await TakeAsync(history, cancellationToken);
                var picture = JsonSerializer.Serialize(snapshot with { GeneratedAt = default }, DashboardJson.Options);
                if (picture != shown || time.GetElapsedTime(sentAt) >= settings.DashboardHeartbeat)
                {
                    await send("snapshot", JsonSerializer.Serialize(snapshot, DashboardJson.Options));
                    (shown, sentAt) = (picture, time.GetTimestamp());
                }
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                await send("unavailable", JsonSerializer.Serialize(new { error = exception.GetBaseException().Message }, DashboardJson.Options));
                shown = null;
            }

            await Task.Delay(settings.DashboardRefresh, time, cancellationToken);
        }
    }
}
