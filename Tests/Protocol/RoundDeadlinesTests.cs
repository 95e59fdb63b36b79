using Microsoft.Extensions.Time.Testing;
using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class RoundDeadlinesTests
{
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Whole = TimeSpan.FromSeconds(10);
    private static readonly Configuration Config = new(4, ["p1", "p2", "p3"], ["p1", "p2"]);
    private readonly FakeTimeProvider _time = new();

    private Round NewRound() => new(Config, ["a", "b"], _time);

    [Fact]
    public void A_phase_past_the_step_deadline_is_reported_once_per_deadline_it_overruns_and_again_in_the_next_phase()
    {
        var deadlines = new RoundDeadlines(Step, Whole);
        var round = NewRound();
        round.Open();

        _time.Advance(Step - TimeSpan.FromMilliseconds(1));
        Assert.Equal(DeadlineVerdict.None, deadlines.Check(round));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(DeadlineVerdict.StepOverdue, deadlines.Check(round));
        Assert.Equal(DeadlineVerdict.None, deadlines.Check(round));
        _time.Advance(Step * 0.9);
        Assert.Equal(DeadlineVerdict.None, deadlines.Check(round));
        _time.Advance(Step * 0.1);
        Assert.Equal(DeadlineVerdict.StepOverdue, deadlines.Check(round));

        round.CompleteBarrier(0, [], 0, TimeSpan.Zero);
        Assert.Equal(DeadlineVerdict.None, deadlines.Check(round));
        _time.Advance(Step);
        Assert.Equal(DeadlineVerdict.StepOverdue, deadlines.Check(round));
    }

    [Fact]
    public void A_round_past_its_deadline_is_overdue_in_any_phase_and_a_round_that_is_over_never_is()
    {
        var deadlines = new RoundDeadlines(Step, Whole);
        var round = NewRound();
        Assert.Equal(DeadlineVerdict.None, deadlines.Check(round));
        _time.Advance(Whole);
        Assert.Equal(DeadlineVerdict.RoundOverdue, deadlines.Check(round));

        round.Abort("superseded");
        Assert.Equal(DeadlineVerdict.None, deadlines.Check(round));
    }

    [Fact]
    public void A_round_past_its_last_barrier_is_complete_and_never_overdue_as_a_whole_though_a_late_activation_is_reported()
    {
        var deadlines = new RoundDeadlines(Step, Whole);
        var round = NewRound();
        round.Open();
        for (var barrier = 0; barrier < round.Barriers; barrier++)
        {
            round.CompleteBarrier(barrier, [], 0, TimeSpan.Zero);
        }

        _time.Advance(Whole);
        Assert.Equal(DeadlineVerdict.StepOverdue, deadlines.Check(round));
        _time.Advance(Whole);
        Assert.NotEqual(DeadlineVerdict.RoundOverdue, deadlines.Check(round));
    }

    [Fact]
    public void Starting_is_bounded_by_the_round_deadline_only()
    {
        var deadlines = new RoundDeadlines(Step, Whole);
        var round = NewRound();
        _time.Advance(Step * 3);
        Assert.Equal(DeadlineVerdict.None, deadlines.Check(round));
    }

    [Fact]
    public void Only_some_members_are_ever_evicted_when_every_member_is_late_the_service_is_stuck_and_never_under_the_wait_policy_or_in_a_rehearsal()
    {
        Assert.Equal(["p2"], RoundDeadlines.ToEvict(["p2"], Config, evictSlow: true, rehearsal: false).ToArray());
        Assert.Equal(["p1", "p3"], RoundDeadlines.ToEvict(["p1", "p3"], Config, evictSlow: true, rehearsal: false).ToArray());
        Assert.Empty(RoundDeadlines.ToEvict(["p1", "p2", "p3"], Config, evictSlow: true, rehearsal: false));
        Assert.Empty(RoundDeadlines.ToEvict(["p2"], Config, evictSlow: false, rehearsal: false));
        Assert.Empty(RoundDeadlines.ToEvict(["p2"], Config, evictSlow: true, rehearsal: true));
    }

    [Fact]
    public void The_step_deadline_must_be_shorter_than_the_round_deadline()
    {
        Assert.Throws<ArgumentException>(() => new RoundDeadlines(Whole, Step));
        Assert.Throws<ArgumentException>(() => new RoundDeadlines(TimeSpan.Zero, Whole));
    }
}

public sealed class ServiceFailuresTests
{
    [Fact]
    public void A_service_is_failing_after_the_threshold_of_consecutive_failures_and_a_completed_round_clears_it()
    {
        var failures = new ServiceFailures(threshold: 3);
        Assert.False(failures.Record("evt", "e1"));
        Assert.False(failures.Record("ckpt", "c1"));
        Assert.False(failures.Record("evt", "e2"));
        Assert.True(failures.Record("evt", "e3"));
        Assert.False(failures.Record("evt", "e4"));

        Assert.Equal(
            [new ServiceHealth("ckpt", 1, "c1", false), new ServiceHealth("evt", 4, "e4", true)],
            failures.Current.ToArray());

        failures.RoundCompleted();
        Assert.Empty(failures.Current);
        Assert.False(failures.Record("evt", "e5"));
    }
}
