using Orleans.GrainDirectory;
using Microsoft.Extensions.DependencyInjection;
using Resync.Diagnostics;
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
[Reentrant, Orleans.Placement.PreferLocalPlacement, GrainDirectory(GrainDirectoryName = ResyncOptions.DirectoryName)]
internal sealed partial class SequencerGrain(
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
    private readonly MemberNotices _notices = new(options.Value.Notices.Timeout, time);
    private RoundTrace _trace = RoundTrace.None;

    private long Epoch => this.GetPrimaryKeyLong();

    public Task Start(Configuration configuration, ImmutableArray<string> services)
    {
        if (Rehearsal.IsRehearsal(configuration.Epoch))
        {
            throw new ArgumentException($"Epoch {configuration.Epoch} is a rehearsal's: it is rehearsed, not started.", nameof(configuration));
        }

        Begin(configuration, services);
        return Task.CompletedTask;
    }

    public Task<RoundSummary> Rehearse(Configuration configuration, ImmutableArray<string> services)
    {
        if (!Rehearsal.IsRehearsal(configuration.Epoch))
        {
            throw new ArgumentException($"Epoch {configuration.Epoch} is a deployment's, not a rehearsal's.", nameof(configuration));
        }

        _rehearsal ??= new TaskCompletionSource<RoundSummary>(TaskCreationOptions.RunContinuationsAsynchronously);
        Begin(configuration, services);
        return _rehearsal.Task;
    }

    private void Begin(Configuration configuration, ImmutableArray<string> services)
    {
        Round.Validate(configuration, Epoch);
        ServiceCatalog.Validate(services, nameof(services));
        if (_round is not null || _abortedBeforeStart is not null)
        {
            return;
        }

        _round = new Round(configuration, services, time);
        _trace = RoundTrace.Begin(configuration, services, rehearsal: _rehearsal is not null);
        Meter.Started();
        LogRoundStarted(logger, Epoch, configuration.Members.Length, services.Length);
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
        if (completion.Epoch != Epoch || _round is null || !_round.CompleteBarrier(completion.Step, completion.Carried, completion.ProcessCalls, completion.Wait, completion.Lacking))
        {
            LogStaleBarrierCompletion(logger, completion.Epoch, completion.Step, Epoch);
            return Task.CompletedTask;
        }

        ResyncActivities.Mark("resync.sequencer.barrier-completed", Epoch, completion.Step);
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

    private async Task RunAsync(Round round)
    {
        var configuration = round.Configuration;
        var members = configuration.Members;
        Activity.Current = _trace.Root;
        try
        {
            using (ResyncActivities.Start("resync.sequencer.open", Epoch, 0))
            {
                await Barrier.Open(configuration, round.Barriers).WaitAsync(options.Value.Notices.Timeout, time);
            }

            var completed = ExpectBarrier();
            if (!round.Open())
            {
                return;
            }

            _trace.StartStep(Epoch, -1, null, "resync.enter");
            _ = NotifyAsync(-1, members, m => Processor(members[m]).Enter(configuration, round.Services), _ => round.NextBarrier == 0);
            CompleteIfMemberless(round);
            await completed.WaitAsync(_roundOver.Token);
            Meter.BarrierCompleted(round.LastBarrierWait);
            _trace.StepCompleted();
            for (var step = 0; step < round.Services.Length; step++)
            {
                var notice = new RoundStep(configuration, step, round.Services[step]) { Lacking = round.LackingAt(step), Services = round.Services };
                var received = Deliveries(round, step - 1);
                completed = ExpectBarrier();
                LogStepStarted(logger, Epoch, step, notice.Service);
                var barrier = step + 1;
                _trace.StartStep(Epoch, step, notice.Service);
                _ = NotifyAsync(step, members, m => Processor(members[m]).Step(notice, received.Notice(m)), _ => round.NextBarrier == barrier);
                CompleteIfMemberless(round);
                var dropped = round.Dropped;
                await completed.WaitAsync(_roundOver.Token);
                await ReportDroppedAsync(round, dropped);
                Meter.BarrierCompleted(round.LastBarrierWait);
                var timing = round.Steps[^1];
                _trace.StepCompleted(timing);
                Meter.StepCompleted(timing.Processing);
                LogStepCompleted(logger, Epoch, step, notice.Service, timing.BarrierWait.TotalMilliseconds, timing.Processing.TotalMilliseconds);
            }

            // Past the last barrier: complete (item 5). Each member activates the last service on its own.
            Debug.Assert(round.Phase == RoundPhase.Activating, "the last barrier makes the round complete");
            if (!round.Services.IsEmpty)
            {
                var last = new RoundStep(configuration, round.Services.Length - 1, round.Services[^1]) { Lacking = round.LackingAt(round.Services.Length - 1), Services = round.Services };
                var final = Deliveries(round, last.Step);
                _trace.StartStep(Epoch, last.Step, last.Service, "resync.activate");
                await NotifyAsync(last.Step, members, async m =>
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


    private async Task NotifyAsync(int step, ImmutableArray<string> members, Func<int, Task> notice, Func<int, bool> owed)
    {
        using var notifying = ResyncActivities.Start("resync.sequencer.notify", Epoch, step);
        await _notices.SendAsync(members.Length, notice, owed, (m, exception) => LogNoticeFailed(logger, exception, Epoch, step, members[m]));
    }

    /// <summary>
    /// What <paramref name="step"/> (the last finished step) delivered to each member, taken once: a retried notice,
    /// or a member that asks for its last activation itself (<see cref="FetchFinal"/>), gets the same. Kept until the
    /// next step's notices, for the members that fetch the rest.
    /// </summary>
    private DeliveryBatches Deliveries(Round round, int step) =>
        _deliveries is { } kept && kept.Step == step
            ? kept
            : _deliveries = new DeliveryBatches(step, round.Configuration.Members, [.. round.Configuration.Members.Select(round.Received)], options.Value.Transfer.DeliveryBatchBytes);
}
