using Resync.Hosting;
using Resync.Placement;
using Resync.Protocol;

namespace Resync.Engine;

/// <summary>
/// One per processor: the node. It follows the sequencer's notices for the newest epoch it has seen
/// and ignores older ones, activates and gates its replicas, and sends its barrier requests. Reentrant,
/// so that a newer epoch's notice or an abort gets in while a replica is busy; the epoch is checked again
/// after every await.
/// </summary>
[Reentrant, KeepAlive, ProcessorPlacement]
internal sealed partial class ProcessorGrain(SyncServiceRegistry services, ILogger<ProcessorGrain> logger)
    : Grain, IProcessorGrain
{
    private long _epoch;
    private long _abortedThrough;
    private int _step = -1;
    private IBarrierGrain? _barrier;
    private readonly ISyncReplica?[] _replicas = new ISyncReplica?[services.Count];
    private readonly NoticeInFlight _notice = new();
    private IInboxGrain? _inbox;
    private long _inboxRead;

    private string Id => this.GetPrimaryKeyString();

    public Task Prepare(RoundStep step, Delivery received)
    {
        Validate(step, received);
        return _notice.Follow(step.Epoch, step.Step, final: false, (Processor: this, step, received), static s => s.Processor.PrepareAsync(s.step, s.received));
    }

    private async Task PrepareAsync(RoundStep step, Delivery received)
    {
        var epoch = step.Epoch;
        if (!Follow(step))
        {
            LogStaleNotice(logger, "prepare", epoch, step.Step, Id, _epoch);
            return;
        }

        if (_inboxRead != 0 && _inboxRead < epoch)
        {
            DropInbox();
        }

        if (step.Step >= 2 && _inboxRead == epoch)
        {
            // This member activated step-2 before it arrived at the barrier of step-1, and a notice of that step is stale now.
            _ = Inbox.Release(epoch, services.Names[step.Step - 2]);
        }

        // Activating the previous service and gating this one touch different replicas: both at once.
        var gated = Replica(step.Step).Gate(epoch);
        if (step.Step > 0)
        {
            await Replica(step.Step - 1).Activate(epoch, await ReceiveAsync(epoch, step.Step - 1, received));
        }

        await gated;
        if (!IsCurrent(epoch))
        {
            return;
        }

        var verdict = await Barrier(epoch).Arrive(new BarrierRequest(epoch, step.Step, Id));
        LogArrived(logger, epoch, step.Step, step.Service, Id, verdict);
    }

    public Task Complete(RoundStep lastStep, Delivery received)
    {
        Validate(lastStep, received);
        return _notice.Follow(lastStep.Epoch, lastStep.Step, final: true, (Processor: this, lastStep, received), static s => s.Processor.CompleteAsync(s.lastStep, s.received));
    }

    private async Task CompleteAsync(RoundStep lastStep, Delivery received)
    {
        if (!Follow(lastStep))
        {
            LogStaleNotice(logger, "complete", lastStep.Epoch, lastStep.Step, Id, _epoch);
            return;
        }

        await Replica(lastStep.Step).Activate(lastStep.Epoch, await ReceiveAsync(lastStep.Epoch, lastStep.Step, received));
    }

    /// <summary>
    /// The whole of what <paramref name="step"/> delivered here: the other batches of a long delivery come
    /// from the sequencer, a few at a time, and what was forwarded here from this processor's inbox.
    /// </summary>
    private async ValueTask<ImmutableArray<Contribution>> ReceiveAsync(long epoch, int step, Delivery delivery)
    {
        var what = $"Epoch {epoch}: the delivery of step {step} to {Id}";
        var delivered = await DeliveryFetch.WholeAsync(delivery, batch => GrainFactory.Reference<ISequencerGrain>(epoch).Fetch(step, Id, batch), what);
        if (!Forwarding.HasStandIns(delivered))
        {
            return delivered;
        }

        _inboxRead = Math.Max(_inboxRead, epoch);
        return Forwarding.Resolve(delivered, await Inbox.Read(epoch, services.Names[step]), what);
    }

    /// <summary>
    /// What the inbox still holds of the rounds this processor read from (the last two services' forwards, kept for
    /// a repeated notice) is forgotten when a newer round reaches it, or when it crashes.
    /// </summary>
    private void DropInbox()
    {
        if (_inboxRead != 0)
        {
            _ = Inbox.Drop(_inboxRead);
            _inboxRead = 0;
        }
    }

    public Task Warm() => Task.WhenAll(Enumerable.Range(0, services.Count).Select(s => Replica(s).Warm()));

    public async Task Abort(long epoch)
    {
        _abortedThrough = Math.Max(_abortedThrough, epoch);
        if (epoch != _epoch || _step < 0)
        {
            return;
        }

        // The service in flight, and the one before it, whose activation may not have happened yet:
        // the abort reaches them whether they are processing, done and waiting, or at the barrier.
        var steps = _step > 0 ? new[] { _step - 1, _step } : [_step];
        await Task.WhenAll(steps.Select(s => Replica(s).Abort(epoch)));
        LogAborted(logger, epoch, _step, Id);
    }

    public Task Leave(long epoch) =>
        Task.WhenAll(Enumerable.Range(0, services.Count).Select(s => Replica(s).Detach(epoch)));

    public async Task Crash()
    {
        await Task.WhenAll(Enumerable.Range(0, services.Count).Select(s => Replica(s).Drop()));
        DropInbox();
        LogCrashed(logger, Id, _epoch);
        _step = -1;
        DeactivateOnIdle();
    }

    // A repeated notice of the current step is followed again (unless the first is still being followed:
    // NoticeInFlight): the sequencer retries notices that failed, and every action of a notice (activate,
    // gate, barrier request) is harmless when repeated.
    private bool Follow(RoundStep step)
    {
        if (step.Epoch < _epoch || step.Epoch <= _abortedThrough || (step.Epoch == _epoch && step.Step < _step))
        {
            return false;
        }

        _epoch = step.Epoch;
        _step = step.Step;
        return true;
    }

    /// <summary>Refuses a notice without its deliveries, a step that names no registered service, or a configuration this processor is not in.</summary>
    private void Validate(RoundStep step, Delivery? received)
    {
        if (received is null || received.First.IsDefault || received.Length < received.First.Length || received.Batches < 1)
        {
            throw new ArgumentException($"Epoch {step.Epoch}: a notice must carry its (possibly empty) deliveries.", nameof(received));
        }

        if (step.Step < 0 || step.Step >= services.Count || services.Names[step.Step] != step.Service)
        {
            throw new ArgumentException($"Epoch {step.Epoch}: step {step.Step} ({step.Service}) is not a step of this cluster's services [{string.Join(", ", services.Names)}].", nameof(step));
        }

        if (!step.Configuration.IsMember(Id))
        {
            throw new ArgumentException($"Epoch {step.Epoch}: processor {Id} is not a member of that configuration.", nameof(step));
        }
    }

    private bool IsCurrent(long epoch) => epoch == _epoch && epoch > _abortedThrough;

    // Kept for the round: every step sends a request.
    private IBarrierGrain Barrier(long epoch)
    {
        if (_barrier?.GetPrimaryKeyLong() != epoch)
        {
            _barrier = GrainFactory.Reference<IBarrierGrain>(epoch);
        }

        return _barrier;
    }

    private IInboxGrain Inbox => _inbox ??= GrainFactory.Reference<IInboxGrain>(Id);

    private ISyncReplica Replica(int step) => _replicas[step] ??= services.Replica(GrainFactory, step, Id);
}
