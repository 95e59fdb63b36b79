using Microsoft.Extensions.DependencyInjection;
using Resync.Diagnostics;
using Resync.Hosting;
using Resync.Protocol;

namespace Resync.Engine;

/// <summary>
/// One per epoch: the conductor of that epoch's <see cref="Round"/> (the protocol and its invariants are
/// described there). It runs the round as one asynchronous loop on the grain's scheduler and turns every
/// transition into calls: notices to all members at once (each carrying what the previous step delivered
/// to that member), the barrier's completion from the barrier grain, init and process on every member's
/// replica in parallel, the final activation. The round's exchange lives here: a replica's sends come back
/// with its done, and gatherings inside process meet here. It is reentrant so that an abort, a barrier
/// completion, a gathering or a progress query gets in while the loop awaits; the loop checks the round's
/// phase after every await, so nothing of an aborted round is sent after its abort.
/// </summary>
[Reentrant, Orleans.Placement.PreferLocalPlacement]
internal sealed partial class SequencerGrain(
    SyncServiceRegistry services,
    IOptions<ResyncOptions> options,
    [FromKeyedServices(ResyncOptions.ClockKey)] TimeProvider time,
    SiloShutdown shutdown,
    ILogger<SequencerGrain> logger) : Grain, ISequencerGrain
{
    private readonly CancellationTokenSource _roundOver = new();
    private Round? _round;
    private TaskCompletionSource? _barrierCompleted;
    private string? _abortedBeforeStart;
    private readonly Dictionary<string, IProcessorGrain> _processors = new(StringComparer.Ordinal);
    private DeliveryBatches? _deliveries;
    private GatheringBatches? _gathered;
    private IGrainTimer? _unusedWarmth;
    private IBarrierGrain? _barrier;
    private TaskCompletionSource<RoundSummary>? _rehearsal;

    private long Epoch => this.GetPrimaryKeyLong();

    public Task Start(Configuration configuration)
    {
        if (Rehearsal.IsRehearsal(configuration.Epoch))
        {
            throw new ArgumentException($"Epoch {configuration.Epoch} is a rehearsal's: it is rehearsed, not started.", nameof(configuration));
        }

        Begin(configuration);
        return Task.CompletedTask;
    }

    public Task<RoundSummary> Rehearse(Configuration configuration)
    {
        if (!Rehearsal.IsRehearsal(configuration.Epoch))
        {
            throw new ArgumentException($"Epoch {configuration.Epoch} is a deployment's, not a rehearsal's.", nameof(configuration));
        }

        _rehearsal ??= new TaskCompletionSource<RoundSummary>(TaskCreationOptions.RunContinuationsAsynchronously);
        Begin(configuration);
        return _rehearsal.Task;
    }

    private void Begin(Configuration configuration)
    {
        if (configuration.Epoch != Epoch)
        {
            throw new ArgumentException($"The sequencer of epoch {Epoch} cannot run epoch {configuration.Epoch}.", nameof(configuration));
        }

        if (configuration.Members.IsDefault || configuration.Members.Any(m => !ProcessorId.IsValid(m)) ||
            !configuration.Members.SequenceEqual(configuration.Members.Distinct().Order(StringComparer.Ordinal)))
        {
            throw new ArgumentException($"Epoch {Epoch}: members must be valid processor ids, sorted ordinally, without duplicates.", nameof(configuration));
        }

        if (_round is not null || _abortedBeforeStart is not null)
        {
            return;
        }

        _round = new Round(configuration, services.Names, time);
        Meter.Started();
        LogRoundStarted(logger, Epoch, configuration.Members.Length, services.Count);
        _ = RunAsync(_round);
        _ = WatchDeadlinesAsync(_round);
    }

    private RoundMeter Meter => _rehearsal is null ? RoundMeter.Recording : RoundMeter.Silent;

    public async Task Abort(string reason)
    {
        if (_round is null)
        {
            // An abort that overtakes the start disarms it: this epoch's round never runs.
            _abortedBeforeStart ??= reason;
            return;
        }

        if (!_round.Abort(reason))
        {
            return;
        }

        await _roundOver.CancelAsync();
        await EndAsync(_round);
    }

    public Task OnBarrierCompleted(long epoch, int step)
    {
        if (epoch != Epoch || _round is null || !_round.CompleteBarrier(step))
        {
            LogStaleBarrierCompletion(logger, epoch, step, Epoch);
            return Task.CompletedTask;
        }

        _barrierCompleted?.TrySetResult();
        return Task.CompletedTask;
    }

    public async Task Post(ImmutableArray<Contribution> contributions)
    {
        if (contributions.IsDefault)
        {
            throw new ArgumentException("No contributions to post.", nameof(contributions));
        }

        var round = await RoundOrStaleAsync($"Contributions posted to epoch {Epoch}");
        var before = round.Dropped;
        round.Post(contributions);
        await ReportDroppedAsync(round, before);
    }

    public async Task<Delivery> Gather(string phase, Contribution contribution)
    {
        var round = await RoundOrStaleAsync($"Contribution of {contribution.Sender} for epoch {contribution.Epoch} ({contribution.Service})");
        var step = round.Step;
        var before = round.Dropped;
        var gathering = round.Gather(phase, contribution);
        await ReportDroppedAsync(round, before);
        // A gathering waits for every member; it must not hold a silo that stops, which waits for its requests.
        return Gathered.Notice(step, phase, await gathering.WaitAsync(shutdown.Begun));
    }

    public async Task<ImmutableArray<Contribution>> FetchGathered(int step, string phase, int batch)
    {
        await RoundOrStaleAsync($"A fetch of what was gathered under '{phase}' in step {step}");
        return Gathered.Fetch(step, phase, batch);
    }

    public async Task<ImmutableArray<Contribution>> Fetch(int step, string member, int batch)
    {
        await RoundOrStaleAsync($"A fetch of step {step}'s delivery to {member}");
        return _deliveries is { } deliveries
            ? deliveries.Fetch(step, member, batch)
            : throw new ArgumentException($"Epoch {Epoch} keeps no deliveries: no step has been delivered yet.");
    }

    /// <summary>
    /// A round cannot outlive its sequencer: when the activation goes (its silo stops), the round ends here,
    /// which stops its loop and watchdog and fails the gatherings still waiting in its mailbox. The
    /// configuration's watchdog renews a round that stopped this way.
    /// </summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_round?.Abort($"its sequencer was deactivated: {reason.Description}", RoundFailure.Cluster) == true)
        {
            LogDeactivatedInFlight(logger, Epoch, _round.Step, _round.Service, reason.Description);
            await _roundOver.CancelAsync();
            _rehearsal?.TrySetResult(_round.Summary());
        }
    }

    public Task Warm()
    {
        // The barrier of this epoch too: both are then activated before the configuration that needs them.
        _ = Barrier.Warm();
        // For nothing when no configuration comes, or when this warm-up reached a new activation after the
        // epoch's round had run and gone (messages racing to create an activation may be reordered).
        _unusedWarmth ??= this.RegisterGrainTimer(() =>
        {
            LeaveIfRoundless();
            return Task.CompletedTask;
        }, new GrainTimerCreationOptions(options.Value.WarmKeep, Timeout.InfiniteTimeSpan));
        return Task.CompletedTask;
    }

    public Task OnActivity(long epoch)
    {
        if (epoch == Epoch && _round is not null)
        {
            _round.Touch();
        }
        else
        {
            LeaveIfRoundless();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// A late message (a sign of life, a fetch, a post, a progress query) re-activates an epoch whose round ended here:
    /// refused as stale, and the activation goes again instead of waiting for the collector.
    /// </summary>
    private void LeaveIfRoundless()
    {
        if (_round is null && _abortedBeforeStart is null)
        {
            DeactivateOnIdle();
        }
    }

    public async Task<RoundProgress?> GetProgress()
    {
        if (_round is null)
        {
            // The watchdog asks while the round's end is on its way to it: this is a fresh activation.
            LeaveIfRoundless();
            return null;
        }

        ImmutableArray<string> missing = [];
        if (_round.Phase == RoundPhase.Barrier)
        {
            missing = await Barrier.GetMissing(_round.Step);
            _round.ObserveBarrierMissing(missing.Length);
        }

        return _round.Progress(missing);
    }

    private IBarrierGrain Barrier => _barrier ??= GrainFactory.Reference<IBarrierGrain>(Epoch);

    private GatheringBatches Gathered => _gathered ??= new GatheringBatches(options.Value.DeliveryBatchBytes);

    // Kept: every member gets a notice per step, and one more at the end.
    private IProcessorGrain Processor(string id)
    {
        if (!_processors.TryGetValue(id, out var processor))
        {
            _processors[id] = processor = GrainFactory.Reference<IProcessorGrain>(id);
        }

        return processor;
    }

    private async Task RunAsync(Round round)
    {
        var configuration = round.Configuration;
        var members = configuration.Members;
        try
        {
            await Barrier.Open(configuration, round.Services.Length).WaitAsync(options.Value.NoticeTimeout, time);
            for (var step = 0; step < round.Services.Length; step++)
            {
                var barrierCompleted = _barrierCompleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                if (!round.EnterBarrier(step))
                {
                    return;
                }

                var notice = new RoundStep(configuration, step, round.Services[step]);
                LogStepStarted(logger, Epoch, step, notice.Service);
                if (members.IsEmpty)
                {
                    OnBarrierCompletedWithoutMembers(round, step);
                }

                var received = Deliveries(round, step - 1);
                _ = NotifyAsync(round, step, members, m => Processor(members[m]).Prepare(notice, received.Notice(m)));

                await barrierCompleted.Task.WaitAsync(_roundOver.Token);
                Meter.BarrierCompleted(round.LastBarrierWait);

                var dropped = round.Dropped;
                await Task.WhenAll(members.Select(member => RunOnAsync(round, notice, member)));
                await ReportDroppedAsync(round, dropped);
                if (round.IsOver)
                {
                    return;
                }

                if (!round.IsStepDone)
                {
                    // A member answered without finishing: it lost the round's state (its activation was
                    // replaced), or it saw an abort that this round has not. The configuration retries.
                    throw new InvalidOperationException($"{string.Join(", ", round.Pending)} did not finish {notice.Service}");
                }

                var timing = round.Steps[^1];
                Meter.StepCompleted(timing.BarrierWait + timing.Processing);
                LogStepCompleted(logger, Epoch, step, notice.Service, timing.BarrierWait.TotalMilliseconds, timing.Processing.TotalMilliseconds);
            }

            if (!round.BeginActivation())
            {
                return;
            }

            if (round.Services.Length > 0)
            {
                var last = new RoundStep(configuration, round.Services.Length - 1, round.Services[^1]);
                var received = Deliveries(round, last.Step);
                await NotifyAsync(round, last.Step, members, async m =>
                {
                    await Processor(members[m]).Complete(last, received.Notice(m));
                    round.ProcessorActivated(members[m]);
                });
            }
            else
            {
                foreach (var member in members)
                {
                    round.ProcessorActivated(member);
                }
            }

            if (round.Complete())
            {
                await EndAsync(round);
            }
        }
        catch (OperationCanceledException) when (_roundOver.IsCancellationRequested)
        {
            // Abort ended the round and reported it.
        }
        catch (Exception exception)
        {
            LogRoundFailed(logger, exception, Epoch, round.Step, round.Service);
            await FailAsync(round, $"step {round.Step} ({round.Service}) failed: {exception.Message}", RoundFailures.Of(exception));
        }
    }

    private async Task FailAsync(Round round, string reason, RoundFailure failure)
    {
        if (round.Abort(reason, failure))
        {
            await _roundOver.CancelAsync();
            await EndAsync(round);
        }
    }

    private async Task RunOnAsync(Round round, RoundStep step, string member)
    {
        StepReport report;
        try
        {
            report = await services.Replica(GrainFactory, step.Step, member).Run(step);
        }
        catch (Exception exception) when (!round.IsOver)
        {
            var failure = new InvalidOperationException($"on processor {member}: {exception.GetBaseException().Message}", exception);
            // At once, not when the other members' runs return: they may wait on this one (a gathering), and
            // ending the round fails their waits. A silo that stops would otherwise wait for them too.
            await FailAsync(round, $"step {step.Step} ({step.Service}) failed: {failure.Message}", RoundFailures.Of(exception));
            throw failure;
        }

        if (report.Completed)
        {
            round.ProcessorDone(member, step.Step, report.ProcessCalls, report.Sent);
        }
    }

    /// <summary>The round that round traffic belongs to; without one (never started here), the traffic is stale: counted and refused.</summary>
    private async Task<Round> RoundOrStaleAsync(string traffic)
    {
        if (_round is { } round)
        {
            return round;
        }

        LeaveIfRoundless();
        await ResyncInstruments.ReportDroppedAsync(GrainFactory, DropCounts.None.Add(BarrierVerdict.Stale));
        throw new ArgumentException($"{traffic} is stale: epoch {Epoch} has no round here.");
    }

    private Task ReportDroppedAsync(Round round, DropCounts before) =>
        ResyncInstruments.ReportDroppedAsync(GrainFactory, round.Dropped.Since(before));

    /// <summary>
    /// Contract item 9: a phase of a step that runs past <see cref="ResyncOptions.StepDeadline"/> is reported
    /// with the processors it waits for, which are evicted under <see cref="SlowProcessorPolicy.Evict"/>; a
    /// round that runs past <see cref="ResyncOptions.RoundDeadline"/> fails and is retried under a new epoch.
    /// A callback that never returns therefore cannot hold the engine.
    /// </summary>
    private async Task WatchDeadlinesAsync(Round round)
    {
        var settings = options.Value;
        var deadlines = new RoundDeadlines(settings.StepDeadline, settings.RoundDeadline);
        var check = TimeSpan.FromTicks(Math.Max(settings.StepDeadline.Ticks / 4, TimeSpan.TicksPerMillisecond));
        while (!round.IsOver)
        {
            try
            {
                await Task.Delay(check, time, _roundOver.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            switch (deadlines.Check(round))
            {
                case DeadlineVerdict.StepOverdue:
                    await OnStepOverdueAsync(round, settings);
                    break;
                case DeadlineVerdict.RoundOverdue:
                    LogRoundOverdue(logger, Epoch, round.Step, round.Service, settings.RoundDeadline.TotalSeconds);
                    await FailAsync(round, $"round deadline of {settings.RoundDeadline.TotalSeconds:0.###} s passed at step {round.Step} ({round.Service}), {round.Phase}", RoundFailure.Service);
                    return;
            }
        }
    }

    private async Task OnStepOverdueAsync(Round round, ResyncOptions settings)
    {
        var (step, phase) = (round.Step, round.Phase);
        ImmutableArray<string> waiting;
        try
        {
            waiting = phase == RoundPhase.Barrier
                ? await Barrier.GetMissing(step).WaitAsync(settings.NoticeTimeout, time)
                : [.. round.Pending.Order(StringComparer.Ordinal)];
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogDeadlineActionFailed(logger, exception, Epoch, step, "ask the barrier who is missing");
            return;
        }

        if (round.IsOver || round.Step != step || round.Phase != phase || waiting.IsEmpty)
        {
            return;
        }

        ResyncInstruments.StepsOverdue.Add(1, new KeyValuePair<string, object?>("service", round.Service));
        LogStepOverdue(logger, Epoch, step, round.Service, phase, round.PhaseElapsed.TotalMilliseconds, string.Join(" ", waiting), settings.SlowProcessors);
        var evictable = RoundDeadlines.Evictable(waiting, round.Configuration);
        // A rehearsal's processor is no member to evict: the round deadline ends a rehearsal that hangs.
        if (settings.SlowProcessors == SlowProcessorPolicy.Evict && !evictable.IsEmpty && _rehearsal is null)
        {
            try
            {
                await GrainFactory.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key)
                    .Evict(Epoch, evictable, $"missed the deadline of step {step} ({round.Service}), {phase}")
                    .WaitAsync(settings.NoticeTimeout, time);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The next deadline reports them again.
                LogDeadlineActionFailed(logger, exception, Epoch, step, "ask the configuration to evict");
            }
        }
    }

    private void OnBarrierCompletedWithoutMembers(Round round, int step)
    {
        if (round.CompleteBarrier(step))
        {
            _barrierCompleted?.TrySetResult();
        }
    }

    /// <summary>
    /// Sends a notice to every member, and again, after a growing pause, to those whose notice failed or went
    /// unanswered for <see cref="ResyncOptions.NoticeTimeout"/> (the 2005 lesson: control messages need retry
    /// too), for as long as the round lives. A member that cannot be reached for good (its silo died) is
    /// removed by the next configuration, which aborts the round and ends the retries. One timeout covers all
    /// the members' calls (a timer per call was a measurable part of a large round); members are named by
    /// their index in the configuration.
    /// </summary>
    private async Task NotifyAsync(Round round, int step, ImmutableArray<string> members, Func<int, Task> notice)
    {
        var pending = Enumerable.Range(0, members.Length).ToImmutableArray();
        var pause = RetryPause;
        while (!pending.IsEmpty)
        {
            var calls = new Task[pending.Length];
            for (var i = 0; i < calls.Length; i++)
            {
                calls[i] = notice(pending[i]);
            }

            try
            {
                // Bounded: a message lost with a dead silo would otherwise hold the attempt for the whole response timeout.
                await Task.WhenAll(calls).WaitAsync(options.Value.NoticeTimeout, time);
                return;
            }
            catch (Exception) when (!round.IsOver)
            {
                var unanswered = ImmutableArray.CreateBuilder<int>();
                for (var i = 0; i < calls.Length; i++)
                {
                    if (!calls[i].IsCompletedSuccessfully)
                    {
                        unanswered.Add(pending[i]);
                        LogNoticeFailed(logger, calls[i].Exception?.GetBaseException() ?? new TimeoutException($"no answer within {options.Value.NoticeTimeout}"), Epoch, step, members[pending[i]]);
                    }
                }

                pending = unanswered.ToImmutable();
            }
            catch (Exception) when (round.IsOver)
            {
                return;
            }

            try
            {
                await Task.Delay(pause, time, _roundOver.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxRetryPause.Ticks));
        }
    }

    /// <summary>
    /// What <paramref name="step"/> (the last step with processing) delivered to each member, taken once: a
    /// retried notice carries the same. Kept until the next step's notices, for the members that fetch the rest.
    /// </summary>
    private DeliveryBatches Deliveries(Round round, int step) =>
        _deliveries = new DeliveryBatches(step, round.Configuration.Members, [.. round.Configuration.Members.Select(round.Received)], options.Value.DeliveryBatchBytes);

    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan MaxRetryPause = TimeSpan.FromSeconds(1);

    /// <summary>Closes the barrier, tells every member of an aborted round, and reports the outcome.</summary>
    private async Task EndAsync(Round round)
    {
        var summary = round.Summary();
        if (round.Phase == RoundPhase.Aborted)
        {
            Meter.Aborted();
            LogRoundAborted(logger, Epoch, round.Step, round.Service, round.AbortReason);
            var told = Task.WhenAll(round.Configuration.Members.Select(member => Processor(member).Abort(Epoch)));
            try
            {
                await told.WaitAsync(options.Value.AbortTimeout, time);
            }
            catch (Exception exception)
            {
                LogAbortIncomplete(logger, exception, Epoch, options.Value.AbortTimeout.TotalMilliseconds);
            }
        }
        else
        {
            await _roundOver.CancelAsync();
            Meter.Completed(summary.Duration);
            LogRoundCompleted(logger, Epoch, summary.Duration.TotalMilliseconds);
        }

        await Barrier.Close();
        if (_rehearsal is { } rehearsal)
        {
            // No configuration's round: only the silo that rehearses hears how it went.
            rehearsal.TrySetResult(summary);
        }
        else
        {
            await GrainFactory.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key).OnRoundEnded(summary);
        }

        DeactivateOnIdle();
    }
}
