using System.Text.Json;

namespace Resync.Operations.Dashboard;

/// <summary>
/// Looks at the cluster for the dashboard: the configuration grain's status and history, asked together. Open pages
/// share one look per <see cref="ResyncOperationsOptions.DashboardRefresh"/> on this silo, taken only while a page is
/// open, so a dashboard costs the cluster the same whether one page watches or ten.
/// </summary>
internal sealed class DashboardFeed(IGrainFactory grains, ILocalSiloDetails silo, TimeProvider time, IOptions<ResyncOperationsOptions> options)
{
    private readonly Lock _gate = new();
    private int _watchers;
    private bool _looking;
    private TaskCompletionSource<Look> _next = NewLook();

    /// <summary>A snapshot of the cluster with up to <paramref name="history"/> ended rounds.</summary>
    public async Task<DashboardSnapshot> TakeAsync(int history, CancellationToken cancellationToken)
    {
        var configuration = grains.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
        var timeout = options.Value.StatusTimeout;
        var status = configuration.GetStatus().WaitAsync(timeout, cancellationToken);
        var rounds = configuration.GetHistory().WaitAsync(timeout, cancellationToken);
        await Task.WhenAll(status, rounds);
        return DashboardSnapshot.From(status.Result, rounds.Result, silo.SiloAddress.ToParsableString(), time.GetUtcNow(), history);
    }

    /// <summary>
    /// Sends a snapshot (event "snapshot") at once, then whenever the picture changes or
    /// <see cref="ResyncOperationsOptions.DashboardHeartbeat"/> passed, until the page goes; a look that failed is
    /// sent as an event "unavailable" with the reason.
    /// </summary>
    public async Task StreamAsync(Func<string, string, Task> send, int history, CancellationToken cancellationToken)
    {
        var heartbeat = options.Value.DashboardHeartbeat;
        string? shown = null;
        long? sentAt = null;
        Watch(+1);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var look = await NextLook().WaitAsync(cancellationToken);
                var (name, data, picture) = look.Snapshot?.Trimmed(history) is { } snapshot
                    ? ("snapshot", JsonSerializer.Serialize(snapshot, DashboardJson.Options), JsonSerializer.Serialize(snapshot with { GeneratedAt = default }, DashboardJson.Options))
                    : ("unavailable", JsonSerializer.Serialize(new { error = look.Error }, DashboardJson.Options), look.Error);
                if (picture != shown || sentAt is not { } at || time.GetElapsedTime(at) >= heartbeat)
                {
                    await send(name, data);
                    (shown, sentAt) = (picture, time.GetTimestamp());
                }
            }
        }
        finally
        {
            Watch(-1);
        }
    }

    private Task<Look> NextLook()
    {
        lock (_gate)
        {
            return _next.Task;
        }
    }

    /// <summary>A page comes or goes; the first one starts the looking, which stops when the last one went.</summary>
    private void Watch(int change)
    {
        lock (_gate)
        {
            _watchers += change;
            if (_watchers > 0 && !_looking)
            {
                _looking = true;
                _ = Task.Run(LookAsync);
            }
        }
    }

    private async Task LookAsync()
    {
        while (true)
        {
            Look look;
            try
            {
                look = new Look(await TakeAsync(ResyncOperationsOptions.MaxHistory, CancellationToken.None), null);
            }
            catch (Exception exception)
            {
                look = new Look(null, $"the cluster's status did not come: {exception.GetBaseException().Message}");
            }

            lock (_gate)
            {
                var taken = _next;
                _next = NewLook();
                taken.SetResult(look);
                if (_watchers == 0)
                {
                    _looking = false;
                    return;
                }
            }

            await Task.Delay(options.Value.DashboardRefresh, time);
        }
    }

    private static TaskCompletionSource<Look> NewLook() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record Look(DashboardSnapshot? Snapshot, string? Error);
}
