using Orleans.Runtime;
using Microsoft.Extensions.Hosting;

namespace Resync.Hosting;

/// <summary>
/// Proposes the silo processors of the active silos (none when <see cref="ResyncOptions.SiloProcessors"/>
/// is off) to the configuration grain on every Orleans membership change, with the silos that left since
/// its previous proposal: the logical processors a departed silo hosted lost their replicas with it.
/// Every silo runs one; the configuration grain keeps the newest membership version it
/// applied and ignores older ones, so duplicates and late arrivals are harmless. Changes that come in a
/// burst (a restarting silo leaves and joins) are coalesced: the watcher waits for the membership to be
/// quiet for <see cref="ResyncOptions.MembershipSettle"/> and proposes only the latest snapshot. With
/// silo processors, the watcher first rehearses a round (<see cref="IConfigurationGrain.Rehearse"/>), then
/// activates its own silo's processor and replicas and says so (<see cref="IConfigurationGrain.SiloReady"/>):
/// the silo joins the configuration warm, its code and its grains.
/// </summary>
internal sealed partial class SiloMembershipWatcher(
    IClusterMembershipService membership,
    ILocalSiloDetails localSilo,
    IGrainFactory grains,
    IOptions<ResyncOptions> options,
    TimeProvider time,
    ILogger<SiloMembershipWatcher> logger) : ILifecycleParticipant<ISiloLifecycle>, IHostedLifecycleService
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _watching = Task.CompletedTask;
    private int _departed;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloMembershipWatcher), ServiceLifecycleStage.Active, Start, Stop);

    private string SelfProcessor => Placement.ProcessorPlacement.SiloProcessor(localSilo.SiloAddress);

    private Task PauseBeforeRetryAsync() =>
        Task.Delay(TimeSpan.FromMilliseconds(200), time, _stopping.Token).ContinueWith(_ => { }, TaskScheduler.Default);

    private Task Start(CancellationToken cancellationToken)
    {
        _watching = Task.Run(async () =>
        {
            if (options.Value.SiloProcessors)
            {
                if (options.Value.RehearseBeforeJoining)
                {
                    await RehearseAsync();
                }

                await AnnounceReadyAsync();
            }

            await WatchAsync();
        });
        return Task.CompletedTask;
    }

    /// <summary>
    /// The silo's rehearsal round, bounded by <see cref="ResyncOptions.RehearsalTimeout"/>; its processor and
    /// replicas are dropped afterwards. A rehearsal that fails costs only the warmth: the silo joins all the same.
    /// </summary>
    private async Task RehearseAsync()
    {
        var self = SelfProcessor;
        var rehearsal = grains.GetGrain<IProcessorGrain>(ProcessorId.RehearsalOf(self));
        var clock = Stopwatch.StartNew();
        try
        {
            // Activated from here, on this silo: the conductor's silo may not see this one active yet.
            await rehearsal.Warm();
            var summary = await grains.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key).Rehearse(self)
                .WaitAsync(options.Value.RehearsalTimeout, time, _stopping.Token);
            LogRehearsed(logger, self, summary.Epoch, summary.Outcome, clock.Elapsed.TotalMilliseconds, summary.AbortReason);
        }
        catch (Exception exception) when (!_stopping.IsCancellationRequested)
        {
            LogRehearsalFailed(logger, exception, self, clock.Elapsed.TotalMilliseconds);
        }

        try
        {
            await rehearsal.Crash().WaitAsync(options.Value.NoticeTimeout, time, _stopping.Token);
        }
        catch (Exception exception) when (!_stopping.IsCancellationRequested)
        {
            // Its activations then go with the collector; it is never a member.
            LogRehearsalFailed(logger, exception, self, clock.Elapsed.TotalMilliseconds);
        }
    }

    private async Task AnnounceReadyAsync()
    {
        var self = SelfProcessor;
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var clock = Stopwatch.StartNew();
                await grains.GetGrain<IProcessorGrain>(self).Warm();
                var change = await grains.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key).SiloReady(self);
                LogReady(logger, self, clock.Elapsed.TotalMilliseconds, change.Changed, change.Configuration.Epoch);
                return;
            }
            catch (Exception exception) when (!_stopping.IsCancellationRequested)
            {
                LogReadyFailed(logger, exception, self);
                await PauseBeforeRetryAsync();
            }
        }
    }

    /// <summary>
    /// The host begins to stop, before any part of the silo does: the silo processor leaves here, while the silo
    /// still serves, and the silo waits (at most <see cref="ResyncOptions.DepartureWait"/>) for the round that
    /// settles its departure. That round then neither competes with the shutdown for the machine nor loses a
    /// sequencer or barrier that this silo hosts.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        await StopWatchingAsync(cancellationToken);
        await DepartAsync(awaitRound: true, cancellationToken);
    }

    private async Task Stop(CancellationToken cancellationToken)
    {
        await StopWatchingAsync(cancellationToken);
        // A silo stopped without its host's StoppingAsync leaves here, without waiting: it is shutting down already.
        await DepartAsync(awaitRound: false, cancellationToken);
    }

    /// <summary>Ends the rehearsal, the announcement of readiness and the proposals (bounded): no "ready" may land after "stopping".</summary>
    private async Task StopWatchingAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _watching.WaitAsync(options.Value.NoticeTimeout, time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    /// <summary>Best effort, once: if the configuration grain cannot be told, the other silos' watchers remove the processor when the membership shows the silo gone.</summary>
    private async Task DepartAsync(bool awaitRound, CancellationToken cancellationToken)
    {
        if (!options.Value.SiloProcessors || Interlocked.Exchange(ref _departed, 1) == 1)
        {
            return;
        }

        var self = SelfProcessor;
        var configuration = grains.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
        var clock = Stopwatch.StartNew();
        try
        {
            var change = await configuration.SiloStopping(self).WaitAsync(options.Value.NoticeTimeout, time, cancellationToken);
            LogStopping(logger, self, change.Changed, change.Configuration.Epoch);
            if (awaitRound && change.Changed)
            {
                var wait = options.Value.DepartureWait;
                await configuration.WaitForCompletedRound(change.Configuration.Epoch, wait).WaitAsync(wait + options.Value.NoticeTimeout, time, cancellationToken);
                LogDeparted(logger, self, change.Configuration.Epoch, clock.Elapsed.TotalMilliseconds);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogStoppingFailed(logger, exception, self);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

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
                await PauseBeforeRetryAsync();
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo processor {Processor} activated in {Milliseconds:F1} ms and ready: changed {Changed}, epoch {Epoch}.")]
    private static partial void LogReady(ILogger logger, string processor, double milliseconds, bool changed, long epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo processor {Processor} rehearsed a round (epoch {Epoch}) before joining: {Outcome} in {Milliseconds:F1} ms. {AbortReason}")]
    private static partial void LogRehearsed(ILogger logger, string processor, long epoch, RoundPhase outcome, double milliseconds, string? abortReason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo processor {Processor}'s rehearsal failed after {Milliseconds:F1} ms; the silo joins all the same.")]
    private static partial void LogRehearsalFailed(ILogger logger, Exception exception, string processor, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo processor {Processor} is stopping and left the configuration: changed {Changed}, epoch {Epoch}.")]
    private static partial void LogStopping(ILogger logger, string processor, bool changed, long epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo processor {Processor} departed: the round of epoch {Epoch} completed without it {Milliseconds:F1} ms after the silo began to stop.")]
    private static partial void LogDeparted(ILogger logger, string processor, long epoch, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo processor {Processor} could not say it is stopping, or its departure's round did not complete in time; the membership will remove it.")]
    private static partial void LogStoppingFailed(ILogger logger, Exception exception, string processor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo processor {Processor} could not say it is ready; retrying.")]
    private static partial void LogReadyFailed(ILogger logger, Exception exception, string processor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A silo membership proposal failed; retrying.")]
    private static partial void LogProposalFailed(ILogger logger, Exception exception);
}
