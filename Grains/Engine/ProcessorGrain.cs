using Orleans.GrainDirectory;
using Microsoft.Extensions.DependencyInjection;
using Resync.Diagnostics;
using Resync.Placement;
using Resync.Protocol;
using Resync.Runtime;

namespace Resync.Engine;

/// <summary>
/// One per processor: the node. It follows the sequencer's notices through <see cref="ProcessorProgress"/>, which
/// decides what a notice means here; this grain performs it on the processor's own replicas, in the member's order
/// (activate the previous service, then run this one), and sends its barrier requests, retrying them until the
/// barrier answers. A step runs on after its notice is answered, and its failure is reported to the sequencer.
/// Reentrant, so that an abort or a newer epoch's notice gets in while a replica is busy; the epoch is checked
/// again after every await.
/// </summary>
[Reentrant, KeepAlive, ProcessorPlacement, GrainDirectory(GrainDirectoryName = ResyncOptions.DirectoryName)]
internal sealed partial class ProcessorGrain(
    SyncServiceRegistry services,
    IOptions<ResyncOptions> options,
    [FromKeyedServices(ResyncOptions.ClockKey)] TimeProvider time,
    ILogger<ProcessorGrain> logger)
    : Grain, IProcessorGrain
{
    private readonly ProcessorProgress _progress = new();
    private readonly ISyncReplica?[] _replicas = new ISyncReplica?[services.Count];
    private readonly RoundServices _rounds = new(services.IndexOf);
    private Task _finishing = Task.CompletedTask;
    private IBarrierGrain? _barrier;
    private IInboxGrain? _inbox;
    private long _inboxRead;

    private string Id => this.GetPrimaryKeyString();

    public async Task Enter(Configuration configuration, ImmutableArray<string> roundServices)
    {
        ValidateMember(configuration);
        ServiceCatalog.Validate(roundServices, nameof(roundServices));
        var epoch = configuration.Epoch;
        _rounds.Know(epoch, roundServices);
        ResyncActivities.Mark("resync.processor.enter", epoch, -1, Id);
        var verdict = _progress.Enter(epoch, roundServices.Length, out var left);
        if (!await AcceptAsync(verdict, "enter", epoch, -1))
        {
            return;
        }

        if (_inboxRead != 0 && _inboxRead < epoch)
        {
            DropInbox();
        }

        // Whatever the older round still does here comes first: its last activation, owed or under way (item 5), or
        // the abort of its replicas in flight (item 6). Its failure was the older round's; this epoch's barrier request
        // goes regardless, since a repeat of this notice is a duplicate and would not send it again.
        try
        {
            if (left.Owed != 0)
            {
                await SettleOwedAsync(left.Owed);
            }
            else if (left.Superseded != 0)
            {
                await AbortReplicasAsync(left.Superseded, left.Steps);
            }

            await Task.WhenAny(_finishing);
        }
        catch (Exception exception)
        {
            LogOlderRoundFailed(logger, exception, Math.Max(left.Owed, left.Superseded), Id);
        }

        _ = ArriveAsync(new BarrierRequest(epoch, 0, Id) { Lacks = _rounds.Lacking(epoch) });
    }

    public async Task Step(RoundStep step, Delivery received)
    {
        Validate(step, received);
        ResyncActivities.Mark("resync.processor.step", step.Epoch, step.Step, Id);
        if (await AcceptAsync(_progress.Step(step.Epoch, step.Step, _rounds.Count(step.Epoch, step.Services)), "step", step.Epoch, step.Step))
        {
            _ = RunStepAsync(step, received);
        }
    }

    private async Task RunStepAsync(RoundStep step, Delivery received)
    {
        var epoch = step.Epoch;
        try
        {
            if (step.Step >= 2 && _inboxRead == epoch)
            {
                // What was forwarded here for the service activated at the last step is no longer asked for.
                _ = Inbox.Release(epoch, _rounds.Service(epoch, step.Step - 2));
            }

            if (step.Step > 0 && ReplicaIn(epoch, step.Step - 1) is { } previous)
            {
                using var activating = ResyncActivities.Start("resync.replica.activate", epoch, step.Step - 1, Id);
                await previous.Activate(epoch, await ReceiveAsync(epoch, step.Step - 1, received));
            }

            if (!_progress.IsCurrent(epoch))
            {
                return;
            }

            // A processor whose silo lacks the service takes part in its step without a replica: nothing to run or send.
            var report = new StepReport(Id, true, 0, []);
            if (ReplicaIn(epoch, step.Step) is { } replica)
            {
                using var running = ResyncActivities.Start("resync.replica.run", epoch, step.Step, Id);
                report = await replica.Run(step with { Configuration = step.ForService() });
            }

            if (!_progress.IsCurrent(epoch))
            {
                return;
            }

            if (!report.Completed)
            {
                // The replica lost the round's state (its activation was replaced) while this processor did not.
                throw new InvalidOperationException($"the replica of {step.Service} on {Id} did not finish the step");
            }

            await ArriveAsync(new BarrierRequest(epoch, step.Step + 1, Id) { Sent = report.Sent, ProcessCalls = report.ProcessCalls });
        }
        catch (Exception exception) when (_progress.IsCurrent(epoch))
        {
            LogStepFailed(logger, exception, epoch, step.Step, step.Service, Id);
            var byCluster = RoundFailures.Of(exception) == RoundFailure.Cluster;
            await Sequencer(epoch).OnStepFailed(epoch, step.Step, Id, exception.GetBaseException().Message, byCluster);
        }
    }

    public async Task Finish(RoundStep lastStep, Delivery received)
    {
        Validate(lastStep, received);
        var verdict = _progress.Finish(lastStep.Epoch, _rounds.Count(lastStep.Epoch, lastStep.Services));
        if (verdict == NoticeVerdict.Apply)
        {
            _finishing = ActivateAsync(lastStep.Epoch, lastStep.Step, received);
            await _finishing;
            return;
        }

        // A repeat waits for the first activation, whatever its outcome (the first notice answered that), and is answered:
        // the sequencer counts this member activated when it returns.
        await AcceptAsync(verdict, "finish", lastStep.Epoch, lastStep.Step);
        await Task.WhenAny(_finishing);
    }

    private async Task ActivateAsync(long epoch, int step, Delivery received)
    {
        if (ReplicaIn(epoch, step) is { } replica)
        {
            await replica.Activate(epoch, await ReceiveAsync(epoch, step, received));
        }
    }

    /// <summary>
    /// A newer epoch came before the fate of the older round whose last barrier this processor reached: the older
    /// round's sequencer says whether it completed (then its last service is activated here first) or not (then
    /// what it staged here is discarded). A sequencer that does not answer in time (it died with its silo) counts as
    /// not complete: the newer round synchronizes every service again, so discarding is always safe, and waiting is not.
    /// </summary>
    private async Task SettleOwedAsync(long owed)
    {
        var last = _rounds.Count(owed, []) - 1;
        if (last < 0)
        {
            // Its list is kept while it can be owed (the epoch just before this one): never reached in practice.
            LogOwedUnknown(logger, owed, Id);
            return;
        }

        Delivery? final = null;
        try
        {
            final = await Sequencer(owed).FetchFinal(Id).WaitAsync(options.Value.Notices.Timeout, time);
        }
        catch (Exception exception) when (exception is TimeoutException or OrleansException)
        {
            LogOwedUnanswered(logger, exception, owed, Id);
        }

        if (final is not null)
        {
            await ActivateAsync(owed, last, final);
            return;
        }

        await Task.WhenAll(new[] { last - 1, last }.Select(s => ReplicaIn(owed, s)).OfType<ISyncReplica>().Select(r => r.Abort(owed)));
    }

    /// <summary>Sends a barrier request, again after a growing pause while it fails and its epoch is current (control messages need retry too).</summary>
    private async Task ArriveAsync(BarrierRequest request)
    {
        var retry = new ControlRetry();
        while (_progress.IsCurrent(request.Epoch))
        {
            try
            {
                using var arriving = ResyncActivities.Start("resync.processor.arrive", request.Epoch, request.Step, Id);
                var verdict = await Barrier(request.Epoch).Arrive(request);
                LogArrived(logger, request.Epoch, request.Step, Id, verdict);
                return;
            }
            catch (Exception exception)
            {
                LogArriveFailed(logger, exception, request.Epoch, request.Step, Id);
            }

            await Task.Delay(retry.NextPause(), time);
        }
    }

    public Task Expect(long epoch) => epoch > _progress.Epoch ? Barrier(epoch).Warm() : Task.CompletedTask;

    public Task Warm() => Task.WhenAll(Enumerable.Range(0, services.Count).Select(s => Replica(s).Warm()));

    public async Task Abort(long epoch, ImmutableArray<string> roundServices)
    {
        _rounds.Know(epoch, roundServices);
        var steps = _progress.Abort(epoch);
        if (!steps.IsEmpty)
        {
            await AbortReplicasAsync(epoch, steps);
        }
    }

    /// <summary>
    /// The service in flight, and the one before it, whose activation may not have run: the abort reaches them whether
    /// they are processing, done and waiting at the next barrier, or not yet initialized.
    /// </summary>
    private async Task AbortReplicasAsync(long epoch, ImmutableArray<int> steps)
    {
        await Task.WhenAll(steps.Select(s => ReplicaIn(epoch, s)).OfType<ISyncReplica>().Select(r => r.Abort(epoch)));
        LogAborted(logger, epoch, steps[^1], Id);
    }

    public Task Leave(long epoch) =>
        Task.WhenAll(Enumerable.Range(0, services.Count).Select(s => Replica(s).Leave(epoch)));

    public async Task Crash()
    {
        await Task.WhenAll(Enumerable.Range(0, services.Count).Select(s => Replica(s).Crash()));
        DropInbox();
        LogCrashed(logger, Id, _progress.Epoch);
        DeactivateOnIdle();
    }
}
