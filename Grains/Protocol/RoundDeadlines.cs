namespace Resync.Protocol;

internal enum DeadlineVerdict
{
    None,

    /// <summary>The current phase of the step has run past another step deadline: report (and maybe evict) whoever it waits for.</summary>
    StepOverdue,

    /// <summary>The round has run past its deadline: abort it as failed.</summary>
    RoundOverdue,
}

/// <summary>
/// The deadlines of one round (contract item 9): one per phase of a step (barrier, processing, final
/// activation) and one for the whole round, the per-step one shorter. A phase that overruns is reported
/// once for every step deadline it has run, so a policy that keeps waiting keeps reporting, without
/// repeating itself on every check.
/// </summary>
internal sealed class RoundDeadlines
{
    private readonly TimeSpan _step;
    private readonly TimeSpan _round;
    private (int Step, RoundPhase Phase, long Reported) _phase = (-1, RoundPhase.Starting, 0);

    public RoundDeadlines(TimeSpan step, TimeSpan round)
    {
        if (step <= TimeSpan.Zero || round <= step)
        {
            throw new ArgumentException($"The step deadline ({step}) must be positive and shorter than the round deadline ({round}).");
        }

        (_step, _round) = (step, round);
    }

    /// <summary>
    /// Whom to evict for missing a step deadline: the processors the step waits for, when the policy evicts
    /// (<paramref name="evictSlow"/>), unless that is every member (then the service is stuck, not a processor:
    /// evicting would empty the configuration, so the round deadline fails the round instead and it is retried),
    /// and never in a rehearsal, whose processor is no member (the round deadline ends a rehearsal that hangs).
    /// </summary>
    public static ImmutableArray<string> ToEvict(ImmutableArray<string> waiting, Configuration configuration, bool evictSlow, bool rehearsal) =>
        evictSlow && !rehearsal && waiting.Length < configuration.Members.Length ? waiting : [];

    public DeadlineVerdict Check(Round round)
    {
        if (round.IsOver)
        {
            return DeadlineVerdict.None;
        }

        // The round deadline ends a round that cannot complete; past its last barrier it has completed.
        if (round.Age >= _round && !round.IsComplete)
        {
            return DeadlineVerdict.RoundOverdue;
        }

        if (round.Phase is not (RoundPhase.Barrier or RoundPhase.Processing or RoundPhase.Activating))
        {
            return DeadlineVerdict.None;
        }

        if (_phase.Step != round.Step || _phase.Phase != round.Phase)
        {
            _phase = (round.Step, round.Phase, 0);
        }

        var overruns = round.PhaseElapsed.Ticks / _step.Ticks;
        if (overruns <= _phase.Reported)
        {
            return DeadlineVerdict.None;
        }

        _phase.Reported = overruns;
        return DeadlineVerdict.StepOverdue;
    }
}
