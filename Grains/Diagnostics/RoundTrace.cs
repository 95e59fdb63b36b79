namespace Resync.Diagnostics;

/// <summary>
/// One round as one trace of <see cref="ResyncActivities.Source"/>: a root span "resync.round" (epoch, members,
/// services, and at its end the outcome and the abort or failure reason), a child span "resync.step" per step from
/// its notices to the barrier that ends it (service, barrier wait, processing, process calls), and events on the
/// step in flight when a deadline passes or processors are evicted. The sequencer makes the step span current while
/// it sends the step's notices, so with Orleans' activity propagation the members' work and their barrier requests,
/// on whatever silo, join the same trace. Everything is a no-op when nobody listens.
/// </summary>
internal sealed class RoundTrace(Activity? round)
{
    private readonly Activity? _round = round;
    private Activity? _step;

    /// <summary>No round traced: nobody listens, or no round yet.</summary>
    public static RoundTrace None { get; } = new(null);

    /// <summary>The round's span, current inside the sequencer's loop so that what the loop starts descends from it.</summary>
    public Activity? Root => _round;

    /// <summary>Starts the round's trace as a root of its own: the call that started the round is linked, not its parent.</summary>
    public static RoundTrace Begin(Configuration configuration, ImmutableArray<string> services, bool rehearsal)
    {
        if (!ResyncActivities.Source.HasListeners())
        {
            return None;
        }

        var caller = Activity.Current;
        Activity.Current = null;
        try
        {
            var links = caller is null ? null : new[] { new ActivityLink(caller.Context) };
            var round = ResyncActivities.Source.StartActivity("resync.round", ActivityKind.Internal, parentContext: default, links: links);
            round?.SetTag("resync.epoch", configuration.Epoch);
            round?.SetTag("resync.members", configuration.Members.Length);
            round?.SetTag("resync.services", string.Join(" ", services));
            if (rehearsal)
            {
                round?.SetTag("resync.rehearsal", true);
            }

            if (round is { IsAllDataRequested: true } && configuration.Members.Length <= MembersListed)
            {
                round.SetTag("resync.member_ids", string.Join(" ", configuration.Members));
            }

            return new RoundTrace(round);
        }
        finally
        {
            Activity.Current = caller;
        }
    }

    /// <summary>Members named on the round's span up to this many; a larger round gives only the count.</summary>
    public const int MembersListed = 64;

    /// <summary>
    /// Starts the span of a step ("resync.step"; "resync.enter" for the enter barrier, "resync.activate" for the last
    /// activation), current in the caller's flow until <see cref="StepCompleted"/> or the round's end stops it.
    /// </summary>
    public void StartStep(long epoch, int step, string? service, string name = "resync.step")
    {
        if (_round is null || _round.IsStopped)
        {
            // Not traced, or the round ended (aborted) before its loop came here.
            return;
        }

        _step?.Stop();
        _step = ResyncActivities.Source.StartActivity(name, ActivityKind.Internal, _round.Context);
        _step?.SetTag("resync.epoch", epoch);
        _step?.SetTag("resync.step", step);
        if (service is not null)
        {
            _step?.SetTag("resync.service", service);
        }
    }

    /// <summary>
    /// The step's barrier completed (or the last activation answered): its span ends, with how long the members took
    /// and how long the barrier waited for the last of them when <paramref name="timing"/> says.
    /// </summary>
    public void StepCompleted(StepTiming? timing = null)
    {
        if (_step is null)
        {
            return;
        }

        if (timing is not null)
        {
            _step.SetTag("resync.barrier_wait_ms", timing.BarrierWait.TotalMilliseconds);
            _step.SetTag("resync.processing_ms", timing.Processing.TotalMilliseconds);
            _step.SetTag("resync.process_calls", timing.ProcessCalls);
        }

        _step.Stop();
    }

    /// <summary>A step passed its deadline waiting for <paramref name="waiting"/>.</summary>
    public void DeadlinePassed(int step, string? service, RoundPhase phase, ImmutableArray<string> waiting, TimeSpan elapsed) =>
        InFlight?.AddEvent(new ActivityEvent("resync.deadline_passed", tags: new ActivityTagsCollection
        {
            ["resync.step"] = step,
            ["resync.service"] = service,
            ["resync.phase"] = phase.ToString(),
            ["resync.waiting"] = string.Join(" ", waiting),
            ["resync.elapsed_ms"] = elapsed.TotalMilliseconds,
        }));

    /// <summary>The round asks the configuration to evict <paramref name="processors"/>.</summary>
    public void Evicting(ImmutableArray<string> processors, string reason) =>
        InFlight?.AddEvent(new ActivityEvent("resync.eviction", tags: new ActivityTagsCollection
        {
            ["resync.processors"] = string.Join(" ", processors),
            ["resync.reason"] = reason,
        }));

    private Activity? InFlight => _step is { IsStopped: false } ? _step : _round;

    /// <summary>Ends the trace with the round's outcome: completed, aborted (superseded) or failed, and why.</summary>
    public void End(RoundSummary summary)
    {
        if (_round is null)
        {
            return;
        }

        if (_round.IsStopped)
        {
            return;
        }

        var outcome = summary.Outcome == RoundPhase.Completed ? "completed" : summary.Failed ? "failed" : "aborted";
        // Stop makes the span's parent current in the calling flow; the caller's own context stays as it was.
        var caller = Activity.Current;
        if (_step is { IsStopped: false } step)
        {
            step.SetTag("resync.outcome", outcome);
            step.Stop();
        }

        _round.SetTag("resync.outcome", outcome);
        _round.SetTag("resync.duration_ms", summary.Duration.TotalMilliseconds);
        if (summary.AbortReason is { } reason)
        {
            _round.SetTag("resync.abort_reason", reason);
        }

        if (summary.FailedService is { } service)
        {
            _round.SetTag("resync.failed_service", service);
        }

        if (summary.Failed)
        {
            _round.SetStatus(ActivityStatusCode.Error, summary.AbortReason);
        }

        _round.Stop();
        Activity.Current = caller;
    }
}
