namespace Resync.Diagnostics;

/// <summary>
/// The span of the barrier being filled ("resync.barrier"), from its first request to its completion, with an event
/// per member's arrival ("resync.arrival": processor, verdict). It joins the trace of the request that opened it, so
/// with Orleans' activity propagation it sits in the round's trace. Barriers of an epoch fill one after another, so
/// one span is open at a time. A no-op when nobody listens.
/// </summary>
internal sealed class BarrierTrace
{
    private Activity? _span;
    private int _barrier;

    public void Arrived(BarrierRequest request, BarrierVerdict verdict)
    {
        if (verdict is not (BarrierVerdict.Accepted or BarrierVerdict.Completed) || !ResyncActivities.Source.HasListeners())
        {
            return;
        }

        if (_span is null || _barrier != request.Step)
        {
            // The span outlives this call, so the rest of the call does not run inside it (nor inside the old one's parent).
            var caller = Activity.Current;
            _span?.Stop();
            _barrier = request.Step;
            _span = ResyncActivities.Start("resync.barrier", request.Epoch, request.Step);
            Activity.Current = caller;
        }

        _span?.AddEvent(new ActivityEvent("resync.arrival", tags: new ActivityTagsCollection { ["resync.processor"] = request.Processor }));
    }

    public void Completed(int barrier)
    {
        if (_barrier == barrier)
        {
            Stop(null);
        }
    }

    /// <summary>The round ended with this barrier still filling (aborted): its span ends, saying so.</summary>
    public void Closed() => Stop("closed before it completed");

    private void Stop(string? outcome)
    {
        if (_span is null)
        {
            return;
        }

        var caller = Activity.Current;
        if (outcome is not null)
        {
            _span.SetTag("resync.outcome", outcome);
        }

        _span.Stop();
        _span = null;
        Activity.Current = caller;
    }
}
