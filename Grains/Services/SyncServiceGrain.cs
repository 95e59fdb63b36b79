using Microsoft.Extensions.DependencyInjection;
using Resync.Hosting;
using Resync.Placement;
using Resync.Protocol;
using Resync.Runtime;

namespace Resync.Services;

/// <summary>
/// The base of every sync service: one grain per service and processor, holding that processor's replica.
/// Derive from it, keep the replica's state in fields (it lives and dies with the processor, as a node's
/// memory would), implement the four callbacks, and register the class on the silo builder with
/// <c>AddSyncService&lt;T&gt;(name)</c>. The engine calls the callbacks one at a time, in the contract's
/// order, and never for a round that this replica saw aborted: <see cref="SyncInitAsync"/> once per round,
/// <see cref="SyncProcessAsync"/> until it answers done, then <see cref="SyncActivateAsync"/> once, or
/// <see cref="SyncAbortAsync"/> if the round is superseded after init. Client writes go through
/// <see cref="EnterWriteAsync"/>, which holds them while the service synchronizes on this replica.
/// </summary>
[Reentrant, KeepAlive, ProcessorPlacement]
public abstract partial class SyncServiceGrain : Grain, ISyncReplica
{
    // Run, activate and the service's abort take turns: a replica's callbacks never overlap. The abort call itself
    // does not wait for its turn; it interleaves, so that it reaches a replica whatever it is doing.
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly SemaphoreSlim _exclusiveWrites = new(1, 1);
    private ReplicaLifecycle _lifecycle = new();
    private WriteGate? _writes;
    private SyncRound? _round;
    private CancellationTokenSource _roundCancellation = new();
    private Configuration _activated = Configuration.Initial;
    private long _leftAt;
    private ResyncOptions? _options;
    private ILogger? _logger;
    private string? _serviceName;
    private TimeProvider? _clock;
    private TimeProvider? _schedulingClock;

    /// <summary>The processor whose replica this is.</summary>
    protected string Processor => this.GetPrimaryKeyString();

    /// <summary>The name under which this service is registered.</summary>
    protected string ServiceName => _serviceName ??= ServiceProvider.GetRequiredService<SyncServiceRegistry>().NameOf(GetType());

    /// <summary>The epoch of the round whose state this replica serves; 0 before its first round.</summary>
    protected long ActivatedEpoch => _lifecycle.ActivatedEpoch;

    /// <summary>True while this replica's service synchronizes: writes wait or fail.</summary>
    protected bool IsSynchronizing => _lifecycle.IsGated;

    /// <summary>The members of the round this replica last activated: the replicas that a write must reach.</summary>
    protected ImmutableArray<string> Members => _activated.Members;

    private ResyncOptions Options => _options ??= ServiceProvider.GetRequiredService<IOptions<ResyncOptions>>().Value;

    private ILogger Logger => _logger ??= ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(GetType());

    private WriteGate Writes => _writes ??= new WriteGate(Clock);

    /// <summary>The engine's clock: deadlines, signs of life, the abort grace.</summary>
    private TimeProvider Clock => _clock ??= ServiceProvider.GetRequiredKeyedService<TimeProvider>(ResyncOptions.ClockKey);

    /// <summary>Scheduling, not protocol time: the silo's clock, which tests that freeze the engine's leave running.</summary>
    private TimeProvider SchedulingClock => _schedulingClock ??= ServiceProvider.GetRequiredService<TimeProvider>();

    /// <summary>Starts this replica's part in a round: reset what a previous round staged and get ready to build.</summary>
    protected abstract ValueTask SyncInitAsync(SyncRound round, CancellationToken cancellationToken);

    /// <summary>Does a bounded amount of work and answers whether there is more. Send with <see cref="SyncRound.Send"/>.</summary>
    protected abstract ValueTask<ProcessResult> SyncProcessAsync(SyncRound round, CancellationToken cancellationToken);

    /// <summary>Switches to the state built in this round; every member's process has answered done.</summary>
    protected abstract ValueTask SyncActivateAsync(SyncRound round, CancellationToken cancellationToken);

    /// <summary>Discards what this round staged and keeps the last activated state.</summary>
    protected abstract ValueTask SyncAbortAsync(SyncRound round);

    /// <summary>
    /// Admits one client write (contract item 8): at once when the service is not synchronizing on this
    /// replica, else after the round activates or aborts it, waiting at most <see cref="ResyncOptions.WriteWait"/>
    /// before failing with <see cref="RecoveryInProgressException"/>. Dispose the result when the write is done.
    /// </summary>
    protected ValueTask<IDisposable> EnterWriteAsync()
    {
        if (_leftAt != 0 || !_activated.IsMember(Processor))
        {
            throw new NotAMemberException(Processor, _leftAt);
        }

        return Writes.EnterAsync(Options.WriteWait, RecoveryInProgress);
    }

    /// <summary>
    /// Like <see cref="EnterWriteAsync"/>, and one at a time on this replica: for writes that read the
    /// current version of an item to make the next one, which must not interleave with another such write.
    /// </summary>
    protected async ValueTask<IDisposable> EnterExclusiveWriteAsync()
    {
        var admission = await EnterWriteAsync();
        await _exclusiveWrites.WaitAsync();
        return new ExclusiveWrite(admission, _exclusiveWrites);
    }

    /// <summary>
    /// Admits a write that another member replicates to this replica. A replica whose round's merge is still
    /// ahead refuses at once with <see cref="RecoveryInProgressException"/>, so the coordinator's own write
    /// (which holds back its gate) cannot wait on a round that waits for that gate; the round then merges
    /// whatever the members applied. A replica whose process is done and whose activation is pending waits
    /// for it, at most <see cref="ResyncOptions.WriteWait"/>: the members that activated before it applied
    /// the write after the merge (<see cref="ReplicaLifecycle.ReplicatedWriteWaits"/>).
    /// </summary>
    protected ValueTask<IDisposable> EnterReplicatedWriteAsync() =>
        Writes.EnterAsync(_lifecycle.ReplicatedWriteWaits ? Options.WriteWait : TimeSpan.Zero, RecoveryInProgress);

    /// <summary>Runs <paramref name="apply"/> on the replica of every other member, in parallel.</summary>
    protected Task ReplicateAsync<TPeer>(Func<TPeer, Task> apply)
        where TPeer : IGrainWithStringKey =>
        Task.WhenAll(Members.Where(m => m != Processor).Select(m => apply(GrainFactory.GetGrain<TPeer>(m))));

    private RecoveryInProgressException RecoveryInProgress() => new(_lifecycle.Epoch, ServiceName, Processor);

    async Task<StepReport> ISyncReplica.Run(RoundStep step)
    {
        if (step.Service != ServiceName || !step.Configuration.IsMember(Processor))
        {
            throw new ArgumentException($"Epoch {step.Epoch}: the replica of {ServiceName} on {Processor} does not run {step.Service}, or is not a member of that configuration.", nameof(step));
        }

        await _turn.WaitAsync();
        try
        {
            return await RunAsync(step);
        }
        finally
        {
            _turn.Release();
        }
    }

    async Task ISyncReplica.Activate(long epoch, ImmutableArray<Contribution> received)
    {
        if (received.IsDefault)
        {
            throw new ArgumentException($"Epoch {epoch}: an activation must carry its (possibly empty) deliveries.", nameof(received));
        }

        await _turn.WaitAsync();
        try
        {
            await ActivateAsync(epoch, received);
        }
        finally
        {
            _turn.Release();
        }
    }

    private async Task<StepReport> RunAsync(RoundStep step)
    {
        var epoch = step.Epoch;
        var verdict = _lifecycle.Gate(epoch, out var superseded);
        if (verdict != ReplicaVerdict.Apply)
        {
            // Only a first gate closes writes: a repeat for an epoch this replica has passed changes nothing (item 3).
            // A repeated run of a finished step is done, and what it sent went with the first answer.
            LogNotApplied(Logger, verdict, "run", epoch, ServiceName, Processor, _lifecycle.Epoch);
            return new StepReport(Processor, verdict == ReplicaVerdict.Duplicate && _lifecycle.Phase >= ReplicaPhase.Done, 0, []);
        }

        if (superseded != 0)
        {
            // An older round staged state here and its abort has not arrived: it is discarded first.
            await DiscardAsync(superseded);
        }

        await Writes.CloseAsync();
        if (_lifecycle.Init(epoch) != ReplicaVerdict.Apply)
        {
            // Aborted while the writes in flight finished.
            return StepReport.Unfinished(Processor);
        }

        _roundCancellation = new CancellationTokenSource();
        var round = _round = new SyncRound(step, Processor, () => GrainFactory.Reference<ISequencerGrain>(epoch),
            new ForwardingRoute(Options.ForwardBytes, recipient => GrainFactory.Reference<IInboxGrain>(recipient)));
        await SyncInitAsync(round, _roundCancellation.Token);

        var calls = 0;
        var lastSign = Clock.GetTimestamp();
        var sliceStart = SchedulingClock.GetTimestamp();
        // The epoch is checked before every call of process (contract item 4): an abort interleaves at the awaits.
        while (_lifecycle.CanProcess(epoch))
        {
            calls++;
            if (Clock.GetElapsedTime(lastSign) >= Options.ActivityInterval)
            {
                // A long process is alive: tell the sequencer, whose watchdog looks for rounds that stopped moving.
                lastSign = Clock.GetTimestamp();
                await GrainFactory.Reference<ISequencerGrain>(epoch).OnActivity(epoch);
            }

            var result = await SyncProcessAsync(round, _roundCancellation.Token);
            if (result == ProcessResult.Done)
            {
                await round.FinishSendingAsync();
                if (_lifecycle.ProcessDone(epoch))
                {
                    return new StepReport(Processor, true, calls, round.TakeSent());
                }
            }

            if (round.Unsent >= Options.SendBatch && _lifecycle.CanProcess(epoch))
            {
                await round.PostSentAsync();
            }

            // Process calls that answer more run back to back for up to a slice, then yield, so that an abort
            // (which interleaves) gets in within about a slice: a yield after every call cost a bulk transfer
            // more than the calls themselves (one per 64 KiB chunk).
            if (SchedulingClock.GetElapsedTime(sliceStart) >= ProcessSlice)
            {
                await Task.Yield();
                sliceStart = SchedulingClock.GetTimestamp();
            }
        }

        // Aborted: what the round sent is discarded with it, and so is any failure of its last posts.
        try
        {
            await round.PostedAsync();
        }
        catch (Exception exception)
        {
            LogPostAfterAbortFailed(Logger, exception, epoch, ServiceName, Processor);
        }

        return StepReport.Unfinished(Processor, calls);
    }

    private async Task ActivateAsync(long epoch, ImmutableArray<Contribution> received)
    {
        switch (_lifecycle.Activate(epoch))
        {
            case var verdict when verdict is ReplicaVerdict.Stale or ReplicaVerdict.Duplicate:
                LogNotApplied(Logger, verdict, "activate", epoch, ServiceName, Processor, _lifecycle.Epoch);
                return;
            case ReplicaVerdict.Missed:
                // Activating without the round would let the next step begin while this member serves nothing of it.
                throw new InvalidOperationException(
                    $"epoch {epoch}: the replica of {ServiceName} on {Processor} missed the round it is asked to activate (the replica that went through it was lost with its silo)");
        }

        var round = _round!;
        round.Deliver(received);
        await SyncActivateAsync(round, _roundCancellation.Token);
        _activated = round.Step.Configuration;
        _leftAt = 0;
        Writes.Open();
    }

    Task ISyncReplica.Abort(long epoch)
    {
        var wasGated = _lifecycle.IsGated;
        var staged = _lifecycle.Abort(epoch);
        if (wasGated && !_lifecycle.IsGated)
        {
            Writes.Open();
        }

        if (staged != 0)
        {
            // The callback in flight is asked to stop; the service's abort runs once it returned, in its turn:
            // a replica's callbacks never overlap, and the abort's caller does not wait for a callback that hangs.
            _roundCancellation.Cancel();
            _ = DiscardInTurnAsync(staged);
        }

        return Task.CompletedTask;
    }

    private async Task DiscardInTurnAsync(long epoch)
    {
        await _turn.WaitAsync();
        try
        {
            await DiscardAsync(epoch);
        }
        catch (Exception exception)
        {
            LogAbortFailed(Logger, exception, epoch, ServiceName, Processor);
        }
        finally
        {
            _turn.Release();
        }
    }

    Task ISyncReplica.Leave(long epoch)
    {
        _leftAt = Math.Max(_leftAt, epoch);
        return Task.CompletedTask;
    }

    Task ISyncReplica.Warm() => Task.CompletedTask;

    Task ISyncReplica.Crash()
    {
        _roundCancellation.Cancel();
        _lifecycle = new ReplicaLifecycle();
        _round = null;
        Writes.Open();
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    /// <summary>Discards what the round of <paramref name="epoch"/> staged, once; the caller holds the replica's turn.</summary>
    private async Task DiscardAsync(long epoch)
    {
        if (_round is not { } round || round.Epoch != epoch)
        {
            return;
        }

        _round = null;
        await SyncAbortAsync(round);
        try
        {
            await round.RecallForwardedAsync();
        }
        catch (Exception exception)
        {
            // A recipient that is gone took its inbox with it; one that is not forgets the round at its next round.
            LogRecallFailed(Logger, exception, epoch, ServiceName, Processor);
        }
    }

    private static readonly TimeSpan ProcessSlice = TimeSpan.FromMilliseconds(1);

    private sealed class ExclusiveWrite(IDisposable admission, SemaphoreSlim exclusive) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                exclusive.Release();
                admission.Dispose();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropped a {Verdict} {Callback} for epoch {Epoch} of service {Service} on processor {Processor}, which is at epoch {Current}.")]
    private static partial void LogNotApplied(ILogger logger, ReplicaVerdict verdict, string callback, long epoch, string service, string processor, long current);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The abort of epoch {Epoch} of service {Service} on processor {Processor} failed.")]
    private static partial void LogAbortFailed(ILogger logger, Exception exception, long epoch, string service, string processor);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A post of epoch {Epoch} of service {Service} on processor {Processor} failed after its round was aborted.")]
    private static partial void LogPostAfterAbortFailed(ILogger logger, Exception exception, long epoch, string service, string processor);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Epoch {Epoch} of service {Service} on processor {Processor} was aborted, and a recipient's inbox could not be told to forget what was forwarded to it.")]
    private static partial void LogRecallFailed(ILogger logger, Exception exception, long epoch, string service, string processor);
}
