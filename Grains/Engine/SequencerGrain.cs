using Microsoft.Extensions.DependencyInjection;
using Resync.Diagnostics;
using Resync.Hosting;
using Resync.Protocol;
using Resync.Runtime;

namespace Resync.Engine;

/// <summary>
/// One per epoch: the conductor of that epoch's <see cref="Round"/> (the protocol and its invariants are described
/// there). It turns the round's transitions into calls: the enter notice, then at every completed barrier a step
/// notice to every member (carrying what the previous step delivered to that member), and after the last barrier the
/// last activation. The barrier grain hands it each completed barrier with what the members' requests carried; the
/// round's mailbox lives here, where long transfers post ahead and gatherings inside process meet. It is reentrant so
/// that a supersession, a barrier completion, a gathering or a progress query gets in while the loop awaits; the loop
/// checks the round's phase after every await, so nothing of an aborted round is sent after its abort.
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
    private bool _ending;

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

    public Task<bool> Supersede(Configuration next, string reason)
    {
        if (_round is null)
        {
            // A supersession that overtakes the start disarms it: this epoch's round never runs.
            _abortedBeforeStart ??= reason;
            return Task.FromResult(true);
        }

        var aborted = _round.Supersede(next, reason);
        if (aborted)
        {
            _roundOver.Cancel();
        }

        // Aborted, or complete and no longer waiting for members that left: either way it may be over now. The
        // members are told in the background; the caller waits for none of them.
        TryEnd(_round);
        return Task.FromResult(aborted);
    }

    public Task OnBarrierCompleted(BarrierCompletion completion)
    {
        if (completion.Epoch != Epoch || _round is null || !_round.CompleteBarrier(completion.Step, completion.Carried, completion.ProcessCalls, completion.Wait))
        {
            LogStaleBarrierCompletion(logger, completion.Epoch, completion.Step, Epoch);
            return Task.CompletedTask;
        }

        _barrierCompleted?.TrySetResult();
        return Task.CompletedTask;
    }

    public async Task OnStepFailed(long epoch, int step, string processor, string reason, bool byCluster)
    {
        if (epoch != Epoch || _round is not { } round || round.Step != step || round.Phase != RoundPhase.Processing)
        {
            return;
        }

        LogStepFailed(logger, epoch, step, round.Service, processor, reason);
        await FailAsync(round, $"step {step} ({round.Service}) failed on processor {processor}: {reason}", byCluster ? RoundFailure.Cluster : RoundFailure.Service);
    }

    public Task<Delivery?> FetchFinal(string member)
    {
        // Asked between the last barrier and the final notices too: the deliveries are those the notices carry.
        var index = _round is { Phase: RoundPhase.Activating } round ? round.Configuration.Members.IndexOf(member) : -1;
        return Task.FromResult(index >= 0 ? Deliveries(_round!, _round!.Services.Length - 1).Notice(index) : null);
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
        if (_round.NextBarrier is { } barrier)
        {
            missing = await Barrier.GetMissing(barrier);
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
            await Barrier.Open(configuration, round.Barriers).WaitAsync(options.Value.NoticeTimeout, time);
            var completed = ExpectBarrier();
            if (!round.Open())
            {
                return;
            }

            _ = NotifyAsync(round, -1, members, m => Processor(members[m]).Enter(configuration), _ => round.NextBarrier == 0);
            CompleteIfMemberless(round);
            await completed.WaitAsync(_roundOver.Token);
            Meter.BarrierCompleted(round.LastBarrierWait);
            for (var step = 0; step < round.Services.Length; step++)
            {
                var notice = new RoundStep(configuration, step, round.Services[step]);
                var received = Deliveries(round, step - 1);
                completed = ExpectBarrier();
                LogStepStarted(logger, Epoch, step, notice.Service);
                var barrier = step + 1;
                _ = NotifyAsync(round, step, members, m => Processor(members[m]).Step(notice, received.Notice(m)), _ => round.NextBarrier == barrier);
                CompleteIfMemberless(round);
                var dropped = round.Dropped;
                await completed.WaitAsync(_roundOver.Token);
                await ReportDroppedAsync(round, dropped);
                Meter.BarrierCompleted(round.LastBarrierWait);
                var timing = round.Steps[^1];
                Meter.StepCompleted(timing.Processing);
                LogStepCompleted(logger, Epoch, step, notice.Service, timing.BarrierWait.TotalMilliseconds, timing.Processing.TotalMilliseconds);
            }

            // Past the last barrier: complete (item 5). Each member activates the last service on its own.
            Debug.Assert(round.Phase == RoundPhase.Activating, "the last barrier makes the round complete");
            if (!round.Services.IsEmpty)
            {
                var last = new RoundStep(configuration, round.Services.Length - 1, round.Services[^1]);
                var final = Deliveries(round, last.Step);
                await NotifyAsync(round, last.Step, members, async m =>
                {
                    await Processor(members[m]).Finish(last, final.Notice(m));
                    round.MemberActivated(members[m]);
                    TryEnd(round);
                }, m => round.AwaitsActivation(members[m]));
            }
            else
            {
                foreach (var member in members)
                {
                    round.MemberActivated(member);
                }
            }

            TryEnd(round);
        }
        catch (OperationCanceledException) when (_roundOver.IsCancellationRequested)
        {
            // Aborted: Supersede or FailAsync ended the round and reported it.
        }
        catch (Exception exception)
        {
            LogRoundFailed(logger, exception, Epoch, round.Step, round.Service);
            await FailAsync(round, $"step {round.Step} ({round.Service}) failed: {exception.Message}", RoundFailures.Of(exception));
        }
    }

    /// <summary>The signal of the barrier the round waits for next; set before the notices that lead to it go out.</summary>
    private Task ExpectBarrier()
    {
        _barrierCompleted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _barrierCompleted.Task;
    }

    /// <summary>Without members no request comes: the barrier the round waits for completes at once.</summary>
    private void CompleteIfMemberless(Round round)
    {
        if (round.Configuration.Members.IsEmpty && round.NextBarrier is { } barrier)
        {
            OnBarrierCompleted(new BarrierCompletion(Epoch, barrier, [], 0, TimeSpan.Zero));
        }
    }

    private async Task FailAsync(Round round, string reason, RoundFailure failure)
    {
        if (round.Abort(reason, failure))
        {
            await _roundOver.CancelAsync();
            TryEnd(round);
        }
    }

    /// <summary>The round's end is reported once, when it is over: aborted, or completed on every member still waited for.</summary>
    private void TryEnd(Round round)
    {
        if (_ending || !(round.Phase == RoundPhase.Aborted || round.Complete()))
        {
            return;
        }

        _ending = true;
        _ = EndAsync(round);
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
    /// Contract item 9: a step that runs past <see cref="ResyncOptions.StepDeadline"/> is reported with the processors it
    /// waits for, which are evicted under <see cref="SlowProcessorPolicy.Evict"/>; a round that runs past
    /// <see cref="ResyncOptions.RoundDeadline"/> before its last barrier fails and is retried under a new epoch. A callback
    /// that never returns therefore cannot hold the engine.
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
        var (step, phase, barrier) = (round.Step, round.Phase, round.NextBarrier);
        ImmutableArray<string> waiting;
        try
        {
            waiting = barrier is { } next
                ? await Barrier.GetMissing(next).WaitAsync(settings.NoticeTimeout, time)
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
                await GrainFactory.GetGrain<IConfigurationCallbacks>(IConfigurationGrain.Key)
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

    /// <summary>
    /// Sends a notice to every member, and again, after a growing pause, to those whose notice failed or went
    /// unanswered for <see cref="ResyncOptions.NoticeTimeout"/> (the 2005 lesson: control messages need retry
    /// too), for as long as the member is still <paramref name="owed"/> its notice. A member that cannot be reached
    /// for good (its silo died) is removed by the next configuration, which ends what it was owed. One timeout
    /// covers all the members' calls (a timer per call was a measurable part of a large round); members are named
    /// by their index in the configuration.
    /// </summary>
    private async Task NotifyAsync(Round round, int step, ImmutableArray<string> members, Func<int, Task> notice, Func<int, bool> owed)
    {
        var pending = Enumerable.Range(0, members.Length).ToImmutableArray();
        var retry = new ControlRetry();
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
            catch (Exception)
            {
                var unanswered = ImmutableArray.CreateBuilder<int>();
                for (var i = 0; i < calls.Length; i++)
                {
                    if (!calls[i].IsCompletedSuccessfully && owed(pending[i]))
                    {
                        unanswered.Add(pending[i]);
                        LogNoticeFailed(logger, calls[i].Exception?.GetBaseException() ?? new TimeoutException($"no answer within {options.Value.NoticeTimeout}"), Epoch, step, members[pending[i]]);
                    }
                }

                pending = unanswered.ToImmutable();
            }

            if (pending.IsEmpty)
            {
                return;
            }

            await Task.Delay(retry.NextPause(), time);
            pending = [.. pending.Where(owed)];
        }
    }

    /// <summary>
    /// What <paramref name="step"/> (the last finished step) delivered to each member, taken once: a retried notice,
    /// or a member that asks for its last activation itself (<see cref="FetchFinal"/>), gets the same. Kept until the
    /// next step's notices, for the members that fetch the rest.
    /// </summary>
    private DeliveryBatches Deliveries(Round round, int step) =>
        _deliveries is { } kept && kept.Step == step
            ? kept
            : _deliveries = new DeliveryBatches(step, round.Configuration.Members, [.. round.Configuration.Members.Select(round.Received)], options.Value.DeliveryBatchBytes);

    /// <summary>
    /// Reports the outcome, closes the barrier, and tells the members of an aborted round in the background: the
    /// report does not wait for them (a member that is gone never answers), only this activation's end does, bounded.
    /// </summary>
    private async Task EndAsync(Round round)
    {
        var summary = round.Summary();
        var told = Task.CompletedTask;
        if (round.Phase == RoundPhase.Aborted)
        {
            Meter.Aborted();
            LogRoundAborted(logger, Epoch, round.Step, round.Service, round.AbortReason);
            told = Task.WhenAll(round.Configuration.Members.Select(member => Processor(member).Abort(Epoch)));
        }
        else
        {
            Meter.Completed(summary.Duration);
            LogRoundCompleted(logger, Epoch, summary.Duration.TotalMilliseconds);
        }

        await _roundOver.CancelAsync();
        await Barrier.Close();
        if (_rehearsal is { } rehearsal)
        {
            // No configuration's round: only the silo that rehearses hears how it went.
            rehearsal.TrySetResult(summary);
        }
        else
        {
            await GrainFactory.GetGrain<IConfigurationCallbacks>(IConfigurationGrain.Key).OnRoundEnded(summary);
        }

        try
        {
            await told.WaitAsync(options.Value.AbortTimeout, time);
        }
        catch (Exception exception)
        {
            LogAbortIncomplete(logger, exception, Epoch, options.Value.AbortTimeout.TotalMilliseconds);
        }

        DeactivateOnIdle();
    }
}
