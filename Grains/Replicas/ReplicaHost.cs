using Resync.Diagnostics;
using Resync.Protocol;
using Resync.Runtime;

namespace Resync.Replicas;

/// <summary>The service's four callbacks, as the replica's host calls them (one at a time, in the contract's order).</summary>
internal interface IReplicaCallbacks
{
    ValueTask InitAsync(RoundChannel round, CancellationToken cancellationToken);

    ValueTask<ProcessResult> ProcessAsync(RoundChannel round, CancellationToken cancellationToken);

    ValueTask ActivateAsync(RoundChannel round, CancellationToken cancellationToken);

    ValueTask AbortAsync(RoundChannel round);
}

/// <summary>
/// The engine's side of one service replica (what <see cref="ISyncReplica"/> asks of it), under the service author's
/// <c>SyncServiceGrain</c>: its turn (callbacks never overlap), its lifecycle in the rounds (<see cref="ReplicaLifecycle"/>),
/// the gate on client writes (<see cref="WriteGate"/>, contract item 8), the process loop, and the discarding of an
/// aborted round's state after the callback in flight returns.
/// </summary>
internal sealed partial class ReplicaHost(
    string processor,
    string service,
    ResyncOptions options,
    TimeProvider clock,
    TimeProvider schedulingClock,
    IGrainFactory grains,
    PayloadSizer sizer,
    IReplicaCallbacks callbacks,
    Action deactivate,
    ILogger logger)
{
    private static readonly TimeSpan ProcessSlice = TimeSpan.FromMilliseconds(1);

    private readonly string _processor = processor;
    private readonly string _service = service;
    private readonly ResyncOptions _options = options;
    // Run, activate and the service's abort take turns: a replica's callbacks never overlap. The abort call itself
    // does not wait for its turn; it interleaves, so that it reaches a replica whatever it is doing.
    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly WriteGate _writes = new(clock);
    private ReplicaLifecycle _lifecycle = new();
    private RoundChannel? _channel;
    private CancellationTokenSource _roundCancellation = new();
    private Configuration _activated = Configuration.Initial;
    private long _leftAt;

    /// <summary>Scheduling, not protocol time: the silo's clock, which tests that freeze the engine's leave running.</summary>
    private TimeProvider SchedulingClock { get; } = schedulingClock;

    /// <summary>The engine's clock: signs of life.</summary>
    private TimeProvider Clock { get; } = clock;

    private WriteGate Writes => _writes;

    public long ActivatedEpoch => _lifecycle.ActivatedEpoch;

    public bool IsGated => _lifecycle.IsGated;

    public ImmutableArray<string> Members => _activated.Members;

    /// <summary>Admits one client write (contract item 8); see <c>SyncServiceGrain.EnterWriteAsync</c>.</summary>
    public ValueTask<IDisposable> EnterWriteAsync()
    {
        if (_leftAt != 0 || !_activated.IsMember(_processor))
        {
            throw new NotAMemberException(_processor, _leftAt);
        }

        return Writes.EnterAsync(_options.Writes.Wait, RecoveryInProgress);
    }

    /// <summary>Admits a write that another member replicates here; see <see cref="ISyncReplica.ApplyWrite"/>.</summary>
    public ValueTask<IDisposable> EnterReplicatedWriteAsync() =>
        Writes.EnterAsync(_lifecycle.ReplicatedWriteWaits ? _options.Writes.Wait : TimeSpan.Zero, RecoveryInProgress);

    private RecoveryInProgressException RecoveryInProgress() => new(_lifecycle.Epoch, _service, _processor);

    public async Task<StepReport> RunAsync(RoundStep step)
    {
        if (step.Service != _service || !step.Configuration.IsMember(_processor))
        {
            throw new ArgumentException($"Epoch {step.Epoch}: the replica of {_service} on {_processor} does not run {step.Service}, or is not a member of that configuration.", nameof(step));
        }

        await _turn.WaitAsync();
        try
        {
            return await RunInTurnAsync(step);
        }
        finally
        {
            _turn.Release();
        }
    }

    public async Task ActivateAsync(long epoch, ImmutableArray<Contribution> received)
    {
        if (received.IsDefault)
        {
            throw new ArgumentException($"Epoch {epoch}: an activation must carry its (possibly empty) deliveries.", nameof(received));
        }

        await _turn.WaitAsync();
        try
        {
            await ActivateInTurnAsync(epoch, received);
        }
        finally
        {
            _turn.Release();
        }
    }

    private async Task<StepReport> RunInTurnAsync(RoundStep step)
    {
        var epoch = step.Epoch;
        var verdict = _lifecycle.Gate(epoch, out var superseded);
        if (verdict != ReplicaVerdict.Apply)
        {
            // Only a first gate closes writes: a repeat for an epoch this replica has passed changes nothing (item 3).
            // A repeated run of a finished step is done, and what it sent went with the first answer.
            await DropAsync(verdict, "run", epoch);
            return new StepReport(_processor, verdict == ReplicaVerdict.Duplicate && _lifecycle.Phase >= ReplicaPhase.Done, 0, []);
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
            return StepReport.Unfinished(_processor);
        }

        _roundCancellation = new CancellationTokenSource();
        var round = _channel = new RoundChannel(step, _processor, () => grains.Reference<ISequencerGrain>(epoch),
            new ForwardingRoute(_options.Transfer.ForwardBytes, recipient => grains.Reference<IInboxGrain>(recipient)), sizer.Measure);
        await callbacks.InitAsync(round, _roundCancellation.Token);

        var calls = 0;
        var lastSign = Clock.GetTimestamp();
        var sliceStart = SchedulingClock.GetTimestamp();
        // The epoch is checked before every call of process (contract item 4): an abort interleaves at the awaits.
        while (_lifecycle.CanProcess(epoch))
        {
            calls++;
            if (Clock.GetElapsedTime(lastSign) >= _options.Rounds.ActivityInterval)
            {
                // A long process is alive: tell the sequencer, whose watchdog looks for rounds that stopped moving.
                lastSign = Clock.GetTimestamp();
                await grains.Reference<ISequencerGrain>(epoch).OnActivity(epoch);
            }

            var result = await callbacks.ProcessAsync(round, _roundCancellation.Token);
            if (result == ProcessResult.Done)
            {
                await round.FinishSendingAsync();
                if (_lifecycle.ProcessDone(epoch))
                {
                    return new StepReport(_processor, true, calls, round.TakeSent());
                }
            }

            if (round.Unsent >= _options.Transfer.SendBatch && _lifecycle.CanProcess(epoch))
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
            LogPostAfterAbortFailed(logger, exception, epoch, _service, _processor);
        }

        return StepReport.Unfinished(_processor, calls);
    }

    private async Task ActivateInTurnAsync(long epoch, ImmutableArray<Contribution> received)
    {
        switch (_lifecycle.Activate(epoch))
        {
            case var verdict when verdict is ReplicaVerdict.Stale or ReplicaVerdict.Duplicate:
                await DropAsync(verdict, "activate", epoch);
                return;
            case ReplicaVerdict.Missed:
                // Activating without the round would let the next step begin while this member serves nothing of it.
                throw new InvalidOperationException(
                    $"epoch {epoch}: the replica of {_service} on {_processor} missed the round it is asked to activate (the replica that went through it was lost with its silo)");
        }

        var round = _channel!;
        round.Deliver(received);
        await callbacks.ActivateAsync(round, _roundCancellation.Token);
        _activated = round.Step.Configuration;
        _leftAt = 0;
        Writes.Open();
    }

    /// <summary>A callback for an epoch this replica left behind (stale) or already passed (duplicate): logged and counted (item 7).</summary>
    private Task DropAsync(ReplicaVerdict verdict, string callback, long epoch)
    {
        LogNotApplied(logger, verdict, callback, epoch, _service, _processor, _lifecycle.Epoch);
        return ResyncInstruments.ReportDroppedAsync(grains, verdict == ReplicaVerdict.Stale ? new DropCounts(1, 0, 0) : new DropCounts(0, 0, 1));
    }

    public void Abort(long epoch)
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
            LogAbortFailed(logger, exception, epoch, _service, _processor);
        }
        finally
        {
            _turn.Release();
        }
    }

    public void Leave(long epoch) => _leftAt = Math.Max(_leftAt, epoch);

    public void Crash()
    {
        _roundCancellation.Cancel();
        _lifecycle = new ReplicaLifecycle();
        _channel = null;
        Writes.Open();
        deactivate();
    }

    /// <summary>Discards what the round of <paramref name="epoch"/> staged, once; the caller holds the replica's turn.</summary>
    private async Task DiscardAsync(long epoch)
    {
        if (_channel is not { } round || round.Epoch != epoch)
        {
            return;
        }

        _channel = null;
        await callbacks.AbortAsync(round);
        try
        {
            await round.RecallForwardedAsync();
        }
        catch (Exception exception)
        {
            // A recipient that is gone took its inbox with it; one that is not forgets the round at its next round.
            LogRecallFailed(logger, exception, epoch, _service, _processor);
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
