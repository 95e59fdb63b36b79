using Orleans.Runtime;

namespace Resync.Hosting;

/// <summary>
/// Proposes the silo processors of the active silos (none when <see cref="ResyncOptions.SiloProcessors"/>
/// is off) to the configuration grain on every Orleans membership change, with the silos that left since
/// its previous proposal: the logical processors a departed silo hosted lost their replicas with it.
/// Every silo runs one; the configuration grain keeps the newest membership version it
/// applied and ignores older ones, so duplicates and late arrivals are harmless. Changes that come in a
/// burst (a restarting silo leaves and joins) are coalesced: the watcher waits for the membership to be
/// quiet for <see cref="ResyncOptions.MembershipSettle"/> and proposes only the latest snapshot.
/// </summary>
internal sealed partial class SiloMembershipWatcher(
    IClusterMembershipService membership,
    IGrainFactory grains,
    IOptions<ResyncOptions> options,
    TimeProvider time,
    ILogger<SiloMembershipWatcher> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _watching = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloMembershipWatcher), ServiceLifecycleStage.Active, Start, Stop);

    private Task Start(CancellationToken cancellationToken)
    {
        _watching = Task.Run(WatchAsync);
        return Task.CompletedTask;
    }

    private async Task Stop(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _watching.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private async Task WatchAsync()
    {
        var latest = membership.CurrentSnapshot;
        var proposed = MembershipVersion.MinValue;
        var active = ActiveSilos(latest);
        var changed = new SemaphoreSlim(0);
        _ = Task.Run(async () =>
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(_stopping.Token))
            {
                Volatile.Write(ref latest, snapshot);
                changed.Release();
            }
        });

        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var snapshot = Volatile.Read(ref latest);
                if (snapshot.Version > proposed)
                {
                    var now = ActiveSilos(snapshot);
                    await ProposeAsync(snapshot.Version, now, [.. active.Except(now)]);
                    proposed = snapshot.Version;
                    active = now;
                }

                await changed.WaitAsync(_stopping.Token);
                // Settle: take whatever else arrives within the settle time, then propose the latest.
                while (await changed.WaitAsync(options.Value.MembershipSettle, _stopping.Token))
                {
                }
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogProposalFailed(logger, exception);
                await Task.Delay(TimeSpan.FromMilliseconds(200), time, _stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private static ImmutableHashSet<string> ActiveSilos(ClusterMembershipSnapshot snapshot) =>
        snapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => Placement.ProcessorPlacement.SiloProcessor(m.SiloAddress))
            .ToImmutableHashSet();

    private async Task ProposeAsync(MembershipVersion version, ImmutableHashSet<string> active, ImmutableArray<string> departed)
    {
        ImmutableArray<string> silos = options.Value.SiloProcessors ? [.. active] : [];
        var change = await grains.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key).ProposeSilos(version.Value, silos, departed);
        LogProposed(logger, version.Value, silos.Length, departed.Length, change.Changed, change.Configuration.Epoch);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Proposed {Silos} silo processors at membership version {Version}, {Departed} silos departed: changed {Changed}, epoch {Epoch}.")]
    private static partial void LogProposed(ILogger logger, long version, int silos, int departed, bool changed, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A silo membership proposal failed; retrying.")]
    private static partial void LogProposalFailed(ILogger logger, Exception exception);
}
