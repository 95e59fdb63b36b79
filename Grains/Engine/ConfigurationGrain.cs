using Microsoft.Extensions.DependencyInjection;
using Resync.Diagnostics;
using Resync.Hosting;
using Resync.Protocol;
using Resync.Runtime;

namespace Resync.Engine;

/// <summary>
/// One per deployment: owns the configuration and its epoch counter (contract item 1), persisted before
/// any round of a new epoch starts, so epochs only grow, also across a restart of the whole cluster.
/// Each accepted change aborts the round in flight and starts the new epoch's round. When it activates
/// and finds that the persisted epoch's round never completed (its sequencer died with a silo, or the
/// cluster stopped mid-round), it starts a new epoch with the same members.
/// </summary>
[KeepAlive]
internal sealed partial class ConfigurationGrain(
    [PersistentState("configuration", ResyncOptions.StorageName)] IPersistentState<ConfigurationState> state,
    SyncServiceRegistry services,
    IOptions<ResyncOptions> options,
    [FromKeyedServices(ResyncOptions.ClockKey)] TimeProvider time,
    ILogger<ConfigurationGrain> logger) : Grain, IConfigurationGrain, IConfigurationMembership, IConfigurationCallbacks
{
    private readonly RoundHistory _history = new(options.Value.HistoryLength);
    private readonly ServiceFailures _serviceFailures = new(options.Value.ServiceFailureThreshold);
    private ConfigurationLedger _ledger = new(Configuration.Initial);
    private SiloAdmission _admission = new([], []);
    private DropCounts _dropped = DropCounts.None;
    private int _failedAttempts;
    private readonly RoundWatch _watch = new(options.Value.StallTimeout, options.Value.StallTimeout / 4);
    private IGrainTimer? _retry;
    private IGrainTimer? _siloReturn;

    // The newest epoch whose round was started (and may be in flight), the newest this grain aborted, and
    // the coalescing of bursts with the timer of a deferred start and its door.
    private long _startedEpoch;
    private long _abortedEpoch;
    private readonly ChangeBursts _bursts = new(options.Value.ChangeSettle, options.Value.MaxChangeDelay, time);
    private ITimer? _settleTimer;
    private IGrainTimer? _settleDoor;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var check = options.Value.StallTimeout / 4;
        this.RegisterGrainTimer(WatchRoundAsync, new GrainTimerCreationOptions(check, check) { Interleave = false });
        _ledger = new ConfigurationLedger(state.State.Configuration);
        _admission = new SiloAdmission(state.State.ActiveSilos, state.State.ReadySilos, state.State.DepartedSilos);
        var current = _ledger.Current;
        // Its round may still be in flight somewhere: the next change aborts it.
        _startedEpoch = current.Epoch;
        if (current.Epoch > state.State.CompletedEpoch)
        {
            LogResuming(logger, current.Epoch, state.State.CompletedEpoch);
            await AdvanceAsync(_ledger.Renewed(), $"round of epoch {current.Epoch} never completed");
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _settleTimer?.Dispose();
        return Task.CompletedTask;
    }

    public Task<ConfigurationChange> Join(ImmutableArray<string> processors) =>
        ChangeAsync(_ledger.Join(Validate(processors)), "join");

    public Task<ConfigurationChange> Leave(ImmutableArray<string> processors) => LeaveAsync(Validate(processors), "leave");

    /// <summary>Removes <paramref name="leaving"/>, whose replicas stay but no longer take writes.</summary>
    private async Task<ConfigurationChange> LeaveAsync(ImmutableArray<string> leaving, string reason)
    {
        var change = await ChangeAsync(_ledger.Remove(leaving), reason);
        if (change.Changed)
        {
            await Task.WhenAll(leaving.Select(p => GrainFactory.GetGrain<IProcessorGrain>(p).Leave(change.Configuration.Epoch)));
        }

        return change;
    }

    public async Task<ConfigurationChange> Fail(ImmutableArray<string> processors)
    {
        var failed = Validate(processors);
        var change = await ChangeAsync(_ledger.Remove(failed), "fail");

        // A crash loses the node's memory, members or not.
        await Task.WhenAll(failed.Select(p => GrainFactory.GetGrain<IProcessorGrain>(p).Crash()));
        return change;
    }

    public async Task<ConfigurationChange> ProposeSilos(long membershipVersion, ImmutableArray<string> siloProcessors, ImmutableArray<string> departedSilos)
    {
        if (membershipVersion <= state.State.SiloMembershipVersion)
        {
            LogStaleSiloProposal(logger, membershipVersion, state.State.SiloMembershipVersion);
            return new ConfigurationChange(false, _ledger.Current);
        }

        if (siloProcessors.FirstOrDefault(p => !IsSiloProcessor(p)) is { } notSilo)
        {
            throw new ArgumentException($"'{notSilo}' is not a silo processor.", nameof(siloProcessors));
        }

        if (departedSilos.IsDefault || !departedSilos.All(IsSiloProcessor))
        {
            throw new ArgumentException("Departed silos are named by their silo processors.", nameof(departedSilos));
        }

        // Applied here first; a write that fails takes it back, or the watcher's retry of this version would be stale.
        var (version, admission) = (state.State.SiloMembershipVersion, _admission.Copy());
        try
        {
            state.State.SiloMembershipVersion = membershipVersion;
            _admission.Propose(siloProcessors);
            var departed = _admission.NewlyDeparted(departedSilos);
            var next = AdmitSilos();
            if (next is null && !departed.IsEmpty && _ledger.Current.Members.Any(m => !ProcessorId.IsSilo(m)))
            {
                return await PersistSilosAsync(_ledger.Renewed(), $"silo {string.Join(" ", departed)} left the cluster with the replicas of the logical processors it hosted");
            }

            return await PersistSilosAsync(next, $"silo membership version {membershipVersion}");
        }
        catch
        {
            state.State.SiloMembershipVersion = version;
            _admission = admission;
            RecordAdmission();
            throw;
        }
    }

    public Task<RoundSummary> Rehearse(string siloProcessor)
    {
        if (!IsSiloProcessor(siloProcessor))
        {
            throw new ArgumentException($"'{siloProcessor}' is not a silo processor.", nameof(siloProcessor));
        }

        // Interleaved, and without this grain's state: it only places the rehearsal's conductor on this silo.
        var rehearsal = Rehearsal.Of(siloProcessor);
        return Sequencer(rehearsal.Epoch).Rehearse(rehearsal);
    }

    public Task<ConfigurationChange> SiloReady(string siloProcessor) =>
        AdmitAsync(siloProcessor, _admission.MarkReady, "ready");

    public Task<ConfigurationChange> SiloStopping(string siloProcessor) =>
        AdmitAsync(siloProcessor, _admission.MarkStopping, "stopping");

    private Task<ConfigurationChange> AdmitAsync(string siloProcessor, Action<string> mark, string what)
    {
        if (!IsSiloProcessor(siloProcessor))
        {
            throw new ArgumentException($"'{siloProcessor}' is not a silo processor.", nameof(siloProcessor));
        }

        mark(siloProcessor);
        return PersistSilosAsync(AdmitSilos(), $"silo processor {siloProcessor} {what}");
    }

    private static bool IsSiloProcessor(string processor) => ProcessorId.IsSilo(ProcessorId.Validate(processor));

    /// <summary>
    /// Advances to <paramref name="next"/>, or, when the silos change nothing, persists what the silo
    /// bookkeeping learned (membership version, admission); the advance persists it with the configuration.
    /// </summary>
    private async Task<ConfigurationChange> PersistSilosAsync(Configuration? next, string reason)
    {
        if (next is not null)
        {
            return await ChangeAsync(next, reason);
        }

        await state.WriteStateAsync();
        return new ConfigurationChange(false, _ledger.Current);
    }

    /// <summary>The configuration with the admitted silo processors, or null if that changes nothing; the admission is persisted with the next write.</summary>
    private Configuration? AdmitSilos()
    {
        RecordAdmission();
        return _ledger.WithSilos(_admission.Admitted(_ledger.Current));
    }

    private void RecordAdmission()
    {
        state.State.ActiveSilos = [.. _admission.Active];
        state.State.ReadySilos = [.. _admission.Ready];
        state.State.DepartedSilos = [.. _admission.Departed];
    }

    public async Task<ConfigurationChange> Evict(long epoch, ImmutableArray<string> processors, string reason)
    {
        if (processors.IsDefaultOrEmpty || processors.Any(p => !ProcessorId.IsValid(p)))
        {
            throw new ArgumentException("Name at least one valid processor to evict.", nameof(processors));
        }

        if (epoch != _ledger.Current.Epoch)
        {
            LogStaleEviction(logger, epoch, _ledger.Current.Epoch, string.Join(" ", processors));
            return new ConfigurationChange(false, _ledger.Current);
        }

        var change = await LeaveAsync(processors, $"evicted {string.Join(" ", processors)}: {reason}");
        if (change.Changed)
        {
            ResyncInstruments.ProcessorsEvicted.Add(processors.Length);
            LogEvicted(logger, epoch, string.Join(" ", processors), reason, change.Configuration.Epoch);
            if (processors.Any(ProcessorId.IsSilo))
            {
                ScheduleSiloReturn();
            }
        }

        return change;
    }

    /// <summary>
    /// An evicted silo processor has no caller to join it again, and its silo, still active and ready, would
    /// otherwise return only with the next membership change: it is taken back after <see cref="ResyncOptions.EvictedSiloReturn"/>.
    /// </summary>
    private void ScheduleSiloReturn()
    {
        _siloReturn?.Dispose();
        _siloReturn = this.RegisterGrainTimer(async () =>
        {
            _siloReturn?.Dispose();
            _siloReturn = null;
            await PersistSilosAsync(AdmitSilos(), "evicted silo processors return");
        }, new GrainTimerCreationOptions(options.Value.EvictedSiloReturn, Timeout.InfiniteTimeSpan) { Interleave = false });
    }

    public Task<Configuration> GetConfiguration() => Task.FromResult(_ledger.Current);

    public async Task<ResyncStatus> GetStatus()
    {
        var current = _ledger.Current;
        RoundProgress? round = null;
        if (_history.LastCompleted is { } last && last.Epoch == current.Epoch)
        {
            round = new RoundProgress(last.Epoch, RoundPhase.Completed, last.Steps.Length - 1, null, [], last.Steps, default, last.Duration, null);
        }
        else if (current.Epoch > 0)
        {
            round = await Sequencer(current.Epoch).GetProgress();
        }

        return new ResyncStatus(current, round, _dropped, services.Names, _serviceFailures.Current);
    }

    public Task<ImmutableArray<RoundSummary>> GetHistory() => Task.FromResult(_history.Rounds);

    public async Task<RoundSummary> WaitForCompletedRound(long epoch, TimeSpan timeout)
    {
        var waiter = _history.WaitForCompleted(epoch);
        try
        {
            return await waiter.WaitAsync(timeout, time);
        }
        catch (TimeoutException)
        {
            _history.Forget(waiter);
            var status = await GetStatus();
            var round = status.Round;
            throw new TimeoutException(
                $"No round of epoch {epoch} or later completed within {timeout.TotalSeconds:F1} s. " +
                $"Current epoch {status.Configuration.Epoch}; round phase {round?.Phase.ToString() ?? "unknown"}, " +
                $"step {round?.Step} ({round?.Service}), pending [{string.Join(", ", round?.Pending ?? [])}]; last rounds: " +
                string.Join("; ", _history.Rounds.TakeLast(3).Select(r => $"epoch {r.Epoch} {r.Outcome} {r.AbortReason}")));
        }
    }

    public async Task OnRoundEnded(RoundSummary summary)
    {
        _history.Add(summary);
        if (summary.Epoch == _ledger.Current.Epoch)
        {
            // A fresh activation costs about as much as a small round's steps: the next epoch's sequencer
            // and barrier are activated now, while nothing waits for them.
            _ = Sequencer(summary.Epoch + 1).Warm();
        }

        // A round that the cluster failed under (a silo stopped or died) is retried like any other, but is no service's failure.
        if (summary.FailedService is { } failedService)
        {
            RecordServiceFailure(failedService, summary);
        }

        if (summary.Failed && summary.Epoch == _ledger.Current.Epoch)
        {
            ScheduleRetry(summary);
        }
        else if (summary.Outcome == RoundPhase.Completed)
        {
            _failedAttempts = 0;
            _bursts.Completed();
            foreach (var recovered in _serviceFailures.Current.Where(f => f.Failing))
            {
                ResyncInstruments.FailingServices.Add(-1);
                LogServiceRecovered(logger, recovered.Service, summary.Epoch);
            }

            _serviceFailures.RoundCompleted();
        }

        if (summary.Outcome == RoundPhase.Completed && summary.Epoch == _ledger.Current.Epoch && summary.Epoch > state.State.CompletedEpoch)
        {
            state.State.CompletedEpoch = summary.Epoch;
            await state.WriteStateAsync();
        }
    }

    public Task OnDropped(DropCounts counts)
    {
        _dropped = _dropped.Add(counts);
        return Task.CompletedTask;
    }

    private async Task<ConfigurationChange> ChangeAsync(Configuration? next, string reason)
    {
        if (next is null)
        {
            LogUnchanged(logger, reason, _ledger.Current.Epoch);
            return new ConfigurationChange(false, _ledger.Current);
        }

        await AdvanceAsync(next, reason);
        return new ConfigurationChange(true, next);
    }

    private void RecordServiceFailure(string service, RoundSummary summary)
    {
        ResyncInstruments.ServiceFailures.Add(1, new KeyValuePair<string, object?>("service", service));
        if (_serviceFailures.Record(service, $"epoch {summary.Epoch}: {summary.AbortReason ?? "failed"}"))
        {
            ResyncInstruments.FailingServices.Add(1);
            LogServiceFailing(logger, service, options.Value.ServiceFailureThreshold, summary.Epoch, summary.AbortReason);
        }
    }

    /// <summary>
    /// Persists <paramref name="next"/>, aborts the round in flight and starts the new one, at once, or,
    /// inside a burst of changes, once the burst settles (<see cref="ResyncOptions.ChangeSettle"/>).
    /// </summary>
    private async Task AdvanceAsync(Configuration next, string reason)
    {
        var previous = _ledger.Current;
        state.State.Configuration = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.Configuration = previous;
            throw;
        }

        _ledger.Commit(next);
        LogAdvanced(logger, next.Epoch, reason, next.Members.Length, next.Survivors.Length);

        var deferFor = _bursts.Change(roundInFlight: _startedEpoch > _history.LastEndedEpoch);
        await AbortInFlightAsync(next, reason);
        if (deferFor is { } due)
        {
            ArmSettleTimer(due);
        }
        else
        {
            await StartAsync(next, bySettle: false);
        }

        _bursts.Handled();
    }

    /// <summary>
    /// Supersedes the newest started round unless it ended or was superseded already (its sequencer is not woken up
    /// for nothing). The sequencer decides at once and tells its members in the background: this waits for no member,
    /// least of all one that is gone.
    /// </summary>
    private async Task AbortInFlightAsync(Configuration next, string reason)
    {
        var epoch = _startedEpoch;
        if (epoch <= _history.LastEndedEpoch || epoch <= _abortedEpoch)
        {
            return;
        }

        _abortedEpoch = epoch;
        try
        {
            await Sequencer(epoch).Supersede(next, $"superseded by epoch {next.Epoch} ({reason})").WaitAsync(options.Value.NoticeTimeout, time);
        }
        catch (Exception exception)
        {
            // A sequencer that cannot be reached cannot activate anything either: replicas refuse an
            // older epoch once they see the new one.
            LogAbortFailed(logger, exception, epoch);
        }
    }

    private async Task StartAsync(Configuration next, bool bySettle)
    {
        _startedEpoch = next.Epoch;
        _bursts.Started(bySettle);
        try
        {
            await Sequencer(next.Epoch).Start(next).WaitAsync(options.Value.NoticeTimeout, time);
        }
        catch (Exception exception)
        {
            // The watchdog starts a new epoch if this one's round never gets going.
            LogStartFailed(logger, exception, next.Epoch);
        }
    }

    /// <summary>
    /// (Re)arms the deferred start of the current configuration's round, <paramref name="due"/> from now on the
    /// engine's clock. That clock's timer only opens the door: a grain timer, which runs the start as a turn of
    /// this grain like any change (Orleans' own timers keep the kernel's coarse time, see <see cref="PreciseTimeProvider"/>).
    /// </summary>
    private void ArmSettleTimer(TimeSpan due)
    {
        _settleDoor ??= this.RegisterGrainTimer(StartSettledAsync, new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan) { Interleave = false });
        _settleTimer?.Dispose();
        _settleTimer = SettleClock.CreateTimer(static door => OpenDoor((IGrainTimer)door!), _settleDoor, due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The engine's clock, whose timers keep millisecond time when it is the system's: the settle is 1-2 ms.</summary>
    private TimeProvider SettleClock => time == TimeProvider.System ? PreciseTimeProvider.Instance : time;

    private static void OpenDoor(IGrainTimer door)
    {
        try
        {
            door.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The grain deactivated while the burst settled; its next activation resumes the round.
        }
    }

    private async Task StartSettledAsync()
    {
        if (!_bursts.Deferring)
        {
            return;
        }

        var left = _bursts.Left;
        if (left > TimeSpan.Zero)
        {
            ArmSettleTimer(left);
            return;
        }

        LogBurstSettled(logger, _ledger.Current.Epoch);
        await StartAsync(_ledger.Current, bySettle: true);
    }

    /// <summary>
    /// The watchdog: a round in flight that showed no sign of life for <see cref="ResyncOptions.StallTimeout"/>
    /// (or whose sequencer cannot even be asked) is abandoned for a new epoch with the same members. This is
    /// how a round recovers when its sequencer or barrier died with a silo while the membership stayed the same.
    /// </summary>
    private async Task WatchRoundAsync()
    {
        var current = _ledger.Current;
        if (current.Epoch == 0 || _history.LastCompleted?.Epoch == current.Epoch || _retry is not null || _bursts.Deferring)
        {
            _watch.Reset();
            return;
        }

        var stall = options.Value.StallTimeout;
        RoundProgress? progress = null;
        var answered = false;
        try
        {
            progress = await Sequencer(current.Epoch).GetProgress().WaitAsync(stall / 4, time);
            answered = true;
        }
        catch (Exception)
        {
            // Unreachable this time: the watch counts how long.
        }

        if (_watch.ShouldRenew(current.Epoch, progress, answered) && _ledger.Current.Epoch == current.Epoch && _history.LastCompleted?.Epoch != current.Epoch)
        {
            LogStalled(logger, current.Epoch, progress?.Phase.ToString() ?? "unreachable", progress?.Step ?? -1, progress?.Service, string.Join(" ", progress?.Pending ?? []));
            await AdvanceAsync(_ledger.Renewed(), $"the round of epoch {current.Epoch} stalled");
        }
    }

    /// <summary>
    /// A round that failed (not superseded) is retried under a new epoch with the same members, after a
    /// pause that doubles with every consecutive failure, unless another change comes first.
    /// </summary>
    private void ScheduleRetry(RoundSummary failed)
    {
        _failedAttempts++;
        var pause = TimeSpan.FromMilliseconds(Math.Min(50 * Math.Pow(2, _failedAttempts - 1), options.Value.MaxRetryPause.TotalMilliseconds));
        LogRetrying(logger, failed.Epoch, failed.AbortReason, pause.TotalMilliseconds, _failedAttempts);
        _retry?.Dispose();
        _retry = this.RegisterGrainTimer(async () =>
        {
            _retry?.Dispose();
            _retry = null;
            if (_ledger.Current.Epoch == failed.Epoch)
            {
                await AdvanceAsync(_ledger.Renewed(), $"retry after the round of epoch {failed.Epoch} failed");
            }
        }, new GrainTimerCreationOptions(pause, Timeout.InfiniteTimeSpan) { Interleave = false });
    }

    private ISequencerGrain Sequencer(long epoch) => GrainFactory.Reference<ISequencerGrain>(epoch);

    private static ImmutableArray<string> Validate(ImmutableArray<string> processors)
    {
        if (processors.IsDefaultOrEmpty)
        {
            throw new ArgumentException("Name at least one processor.", nameof(processors));
        }

        foreach (var processor in processors)
        {
            if (ProcessorId.IsSilo(ProcessorId.Validate(processor)))
            {
                throw new ArgumentException($"'{processor}' is a silo processor: it joins and leaves with its silo.", nameof(processors));
            }

            if (ProcessorId.IsRehearsal(processor))
            {
                throw new ArgumentException($"'{processor}' is a silo's rehearsal processor, which is never a member.", nameof(processors));
            }
        }

        return processors;
    }
}
