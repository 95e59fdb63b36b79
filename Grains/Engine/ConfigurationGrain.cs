using Orleans.GrainDirectory;
using Microsoft.Extensions.DependencyInjection;
using Resync.Diagnostics;
using Resync.Protocol;
using Resync.Runtime;

namespace Resync.Engine;

/// <summary>
/// One per deployment: owns the configuration and its epoch counter (contract item 1), persisted before
/// any round of a new epoch starts, so epochs only grow, also across a restart of the whole cluster.
/// Each accepted change aborts the round in flight and starts the new epoch's round. When it activates
/// and finds that the persisted epoch's round never completed (its sequencer died with a silo, or the
/// cluster stopped mid-round), it starts a new epoch with the same members. Its decisions are made by
/// <see cref="ConfigurationLedger"/> (the configurations), <see cref="SiloBook"/> (the silos) and
/// <see cref="RoundSupervisor"/> (the rounds); it persists, keeps the timers and sends.
/// </summary>
[KeepAlive, GrainDirectory(GrainDirectoryName = ResyncOptions.DirectoryName)]
internal sealed partial class ConfigurationGrain(
    [PersistentState("configuration", ResyncOptions.StorageName)] IPersistentState<ConfigurationState> state,
    [PersistentState("history", ResyncOptions.StorageName)] IPersistentState<RoundHistoryState> history,
    SyncServiceRegistry services,
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    IOptions<ResyncOptions> options,
    [FromKeyedServices(ResyncOptions.ClockKey)] TimeProvider time,
    SiloShutdown shutdown,
    ILogger<ConfigurationGrain> logger) : Grain, IConfigurationGrain, IConfigurationMembership, IConfigurationCallbacks
{
    private readonly RoundSupervisor _supervisor = new(
        options.Value.Rounds.HistoryLength, options.Value.Rounds.ServiceFailureThreshold, options.Value.Rounds.StallTimeout,
        options.Value.Changes.Settle, options.Value.Changes.MaxDelay, options.Value.Rounds.MaxRetryPause, time);

    private ConfigurationLedger _ledger = new(Configuration.Initial);
    private SiloBook _silos = new(0, new SiloAdmission([], []));
    private PreciseGrainTimer? _settle;
    private IGrainTimer? _retry;
    private IGrainTimer? _siloReturn;
    private bool _historyUnsaved;

    /// <summary>How long the history of rounds may go unsaved after a round ends.</summary>
    private static readonly TimeSpan HistorySaveInterval = TimeSpan.FromSeconds(1);

    private ResyncOptions Settings => options.Value;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var check = Settings.Rounds.StallTimeout / 4;
        this.RegisterGrainTimer(WatchRoundAsync, new GrainTimerCreationOptions(check, check) { Interleave = false });
        _settle = new PreciseGrainTimer(this, StartSettledAsync, time);
        this.RegisterGrainTimer(SaveHistoryAsync, new GrainTimerCreationOptions(HistorySaveInterval, HistorySaveInterval) { Interleave = false });
        _supervisor.History.Restore(history.State.Rounds);
        _ledger = new ConfigurationLedger(state.State.Configuration);
        _silos = new SiloBook(state.State.SiloMembershipVersion, new SiloAdmission(state.State.ActiveSilos, state.State.ReadySilos, state.State.DepartedSilos));
        var current = _ledger.Current;
        _supervisor.Resume(current.Epoch);
        if (current.Epoch > state.State.CompletedEpoch)
        {
            LogResuming(logger, current.Epoch, state.State.CompletedEpoch);
            await AdvanceAsync(_ledger.Renewed(), $"round of epoch {current.Epoch} never completed");
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _settle?.Dispose();
        await SaveHistoryAsync();
    }

    /// <summary>Saves the rounds that ended since the last save (see <see cref="RoundHistoryState"/>); a failure is retried at the next.</summary>
    private async Task SaveHistoryAsync()
    {
        if (!_historyUnsaved)
        {
            return;
        }

        _historyUnsaved = false;
        history.State.Rounds = _supervisor.History.Rounds;
        try
        {
            await history.WriteStateAsync();
        }
        catch (Exception exception)
        {
            _historyUnsaved = true;
            LogHistoryNotSaved(logger, exception, _ledger.Current.Epoch);
        }
    }

    public Task<ConfigurationChange> Join(ImmutableArray<string> processors) =>
        ChangeAsync(_ledger.Join(MembershipRequests.Logical(processors)), "join");

    public Task<ConfigurationChange> Leave(ImmutableArray<string> processors) =>
        LeaveAsync(MembershipRequests.Logical(processors), "leave");

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
        var failed = MembershipRequests.Logical(processors);
        var change = await ChangeAsync(_ledger.Remove(failed), "fail");

        // A crash loses the node's memory, members or not.
        await Task.WhenAll(failed.Select(p => GrainFactory.GetGrain<IProcessorGrain>(p).Crash()));
        return change;
    }

    public Task<Configuration> GetConfiguration() => Task.FromResult(_ledger.Current);

    public async Task<ResyncStatus> GetStatus()
    {
        var current = _ledger.Current;
        var round = _supervisor.Completed(current.Epoch) ?? (current.Epoch > 0 ? await Sequencer(current.Epoch).GetProgress() : null);
        var catalog = LiveCatalog();
        return new ResyncStatus(current, round, _supervisor.Dropped, ServiceCatalog.Order(catalog.Values), _supervisor.ServiceHealth)
        {
            SiloServices = catalog,
            // Known since this activation; before that, the current configuration if its round completed.
            LastCompleted = _supervisor.LastCompleted ?? (state.State.CompletedEpoch == current.Epoch && current.Epoch > 0 ? current : null),
        };
    }

    public Task<ImmutableArray<RoundSummary>> GetHistory() => Task.FromResult(_supervisor.History.Rounds);

    public async Task<RoundSummary> WaitForCompletedRound(long epoch, TimeSpan timeout)
    {
        var waiter = _supervisor.History.WaitForCompleted(epoch);
        try
        {
            return await waiter.WaitAsync(timeout, time);
        }
        catch (TimeoutException)
        {
            _supervisor.History.Forget(waiter);
            var status = await GetStatus();
            var round = status.Round;
            throw new TimeoutException(
                $"No round of epoch {epoch} or later completed within {timeout.TotalSeconds:F1} s. " +
                $"Current epoch {status.Configuration.Epoch}; round phase {round?.Phase.ToString() ?? "unknown"}, " +
                $"step {round?.Step} ({round?.Service}), pending [{string.Join(", ", round?.Pending ?? [])}]; last rounds: " +
                string.Join("; ", _supervisor.History.Rounds.TakeLast(3).Select(r => $"epoch {r.Epoch} {r.Outcome} {r.AbortReason}")));
        }
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

    /// <summary>Sets one part of the persisted state and writes it; a write that fails leaves the state as it was, so a retry finds the change still to make.</summary>
    private async Task PersistAsync<T>(T value, Func<ConfigurationState, T> get, Action<ConfigurationState, T> set)
    {
        var previous = get(state.State);
        set(state.State, value);
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            set(state.State, previous);
            throw;
        }
    }

    /// <summary>
    /// Persists <paramref name="next"/>, supersedes the round in flight and starts the new one, at once, or,
    /// inside a burst of changes, once the burst settles (<see cref="ChangeOptions.Settle"/>).
    /// </summary>
    private async Task AdvanceAsync(Configuration next, string reason)
    {
        await PersistAsync(next, s => s.Configuration, (s, configuration) => s.Configuration = configuration);
        _ledger.Commit(next);
        ResyncActivities.Mark("resync.configuration.advance", next.Epoch, -1);
        LogAdvanced(logger, next.Epoch, reason, next.Members.Length, next.Survivors.Length);
        _supervisor.Caused(next, reason);
        var advance = _supervisor.Advanced();
        if (advance.Supersedes is { } epoch)
        {
            await SupersedeAsync(epoch, next, reason);
        }

        if (advance.DeferFor is { } due)
        {
            _settle!.Arm(due);
        }
        else
        {
            await StartAsync(next, bySettle: false);
        }

        _supervisor.AdvanceHandled();
    }

    /// <summary>The sequencer decides at once and tells its members in the background: this waits for no member, least of all one that is gone.</summary>
    private async Task SupersedeAsync(long epoch, Configuration next, string reason)
    {
        try
        {
            await Sequencer(epoch).Supersede(next, $"superseded by epoch {next.Epoch} ({reason})").WaitAsync(Settings.Notices.Timeout, time);
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
        _supervisor.Starting(next.Epoch, bySettle);
        try
        {
            await Sequencer(next.Epoch).Start(next, RoundServices()).WaitAsync(Settings.Notices.Timeout, time);
        }
        catch (Exception exception)
        {
            // The watchdog starts a new epoch if this one's round never gets going.
            LogStartFailed(logger, exception, next.Epoch);
        }
    }

    private async Task StartSettledAsync()
    {
        if (!_supervisor.Deferring)
        {
            return;
        }

        if (_supervisor.SettleLeft is var left && left > TimeSpan.Zero)
        {
            _settle!.Arm(left);
            return;
        }

        LogBurstSettled(logger, _ledger.Current.Epoch);
        await StartAsync(_ledger.Current, bySettle: true);
    }

    private ISequencerGrain Sequencer(long epoch) => GrainFactory.Reference<ISequencerGrain>(epoch);
}
