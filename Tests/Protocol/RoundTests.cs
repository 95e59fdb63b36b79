using Microsoft.Extensions.Time.Testing;
using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class RoundTests
{
    private static readonly ImmutableArray<string> Services = ["clm", "evt", "ckpt"];
    private static readonly Configuration Config = new(7, ["p1", "p2", "p3"], ["p1", "p2"]);
    private readonly FakeTimeProvider _time = new();

    private Round NewRound() => new(Config, Services, _time);

    private static void FinishStep(Round round, int step)
    {
        Assert.True(round.EnterBarrier(step));
        Assert.True(round.CompleteBarrier(step));
        foreach (var member in Config.Members)
        {
            round.ProcessorDone(member, step);
        }

        Assert.True(round.IsStepDone);
    }

    [Fact]
    public void Arrivals_seen_at_the_barrier_are_a_sign_of_life_and_a_barrier_that_misses_as_many_as_before_is_not()
    {
        var round = NewRound();
        round.EnterBarrier(0);
        _time.Advance(TimeSpan.FromSeconds(5));
        round.ObserveBarrierMissing(3);
        Assert.Equal(TimeSpan.FromSeconds(5), round.SinceActivity);
        round.ObserveBarrierMissing(3);
        Assert.Equal(TimeSpan.FromSeconds(5), round.SinceActivity);

        round.ObserveBarrierMissing(1);
        Assert.Equal(TimeSpan.Zero, round.SinceActivity);

        _time.Advance(TimeSpan.FromSeconds(5));
        round.CompleteBarrier(0);
        _time.Advance(TimeSpan.FromSeconds(5));
        round.ObserveBarrierMissing(0);
        Assert.Equal(TimeSpan.FromSeconds(5), round.SinceActivity);
    }

    [Fact]
    public void A_summary_says_when_the_round_ended_and_how_long_it_took_by_the_round_clock()
    {
        var round = NewRound();
        _time.Advance(TimeSpan.FromMilliseconds(40));
        Assert.True(round.Abort("superseded"));

        var summary = round.Summary();

        Assert.Equal(_time.GetUtcNow(), summary.EndedAt);
        Assert.Equal(TimeSpan.FromMilliseconds(40), summary.Duration);
        Assert.Equal(summary.EndedAt - summary.Duration, round.StartedAt);
    }

    [Fact]
    public void Services_are_synchronized_one_at_a_time_in_registration_order()
    {
        var round = NewRound();
        Assert.Throws<InvalidOperationException>(() => round.EnterBarrier(1));
        FinishStep(round, 0);
        Assert.Throws<InvalidOperationException>(() => round.EnterBarrier(2));
        FinishStep(round, 1);
        FinishStep(round, 2);

        Assert.Equal(Services, round.Steps.Select(s => s.Service));
    }

    [Fact]
    public void A_step_cannot_begin_before_every_member_of_the_previous_step_answered_done()
    {
        var round = NewRound();
        round.EnterBarrier(0);
        round.CompleteBarrier(0);
        round.ProcessorDone("p1", 0);
        round.ProcessorDone("p2", 0);

        Assert.Throws<InvalidOperationException>(() => round.EnterBarrier(1));
        Assert.Equal(["p3"], round.Pending.ToArray());
    }

    [Fact]
    public void Processing_begins_only_when_the_barrier_of_the_same_step_completes()
    {
        var round = NewRound();
        round.EnterBarrier(0);

        Assert.False(round.ProcessorDone("p1", 0));
        Assert.False(round.CompleteBarrier(1));
        Assert.Equal(RoundPhase.Barrier, round.Phase);
        Assert.True(round.CompleteBarrier(0));
        Assert.False(round.CompleteBarrier(0));
        Assert.Equal(RoundPhase.Processing, round.Phase);
    }

    [Fact]
    public void A_step_completes_when_every_member_answered_done_and_a_repeated_done_changes_nothing()
    {
        var round = NewRound();
        round.EnterBarrier(0);
        round.CompleteBarrier(0);

        Assert.False(round.ProcessorDone("p1", 0));
        Assert.False(round.ProcessorDone("p1", 0));
        Assert.False(round.ProcessorDone("p9", 0));
        Assert.False(round.ProcessorDone("p2", 0));
        Assert.True(round.ProcessorDone("p3", 0));
        Assert.Single(round.Steps);
    }

    [Fact]
    public void Activation_of_the_last_service_begins_only_after_its_step_and_the_round_completes_when_all_activated()
    {
        var round = NewRound();
        FinishStep(round, 0);
        Assert.Throws<InvalidOperationException>(() => round.BeginActivation());
        FinishStep(round, 1);
        FinishStep(round, 2);

        Assert.True(round.BeginActivation());
        Assert.True(round.ProcessorActivated("p1"));
        Assert.False(round.ProcessorActivated("p1"));
        Assert.False(round.Complete());
        round.ProcessorActivated("p2");
        round.ProcessorActivated("p3");
        Assert.True(round.Complete());
        Assert.Equal(RoundPhase.Completed, round.Phase);
    }

    public static TheoryData<int> AbortPoints() => [0, 1, 2, 3, 4, 5];

    [Theory]
    [MemberData(nameof(AbortPoints))]
    public void An_abort_is_accepted_in_every_phase_and_afterwards_every_input_is_stale(int point)
    {
        var round = NewRound();
        // 0 starting, 1 at barrier 0, 2 processing 0, 3 some done, 4 between steps, 5 activating.
        if (point >= 1) round.EnterBarrier(0);
        if (point >= 2) round.CompleteBarrier(0);
        if (point >= 3) round.ProcessorDone("p1", 0);
        if (point >= 4) { round.ProcessorDone("p2", 0); round.ProcessorDone("p3", 0); }
        if (point >= 5) { FinishStep(round, 1); FinishStep(round, 2); round.BeginActivation(); }

        Assert.True(round.Abort("superseded"));

        Assert.Equal(RoundPhase.Aborted, round.Phase);
        Assert.False(round.Abort("again"));
        Assert.False(round.EnterBarrier(round.Step + 1));
        Assert.False(round.CompleteBarrier(round.Step));
        Assert.False(round.ProcessorDone("p3", round.Step));
        Assert.False(round.BeginActivation());
        Assert.False(round.ProcessorActivated("p1"));
        Assert.False(round.Complete());
        Assert.Equal("superseded", round.Summary().AbortReason);
    }

    [Fact]
    public void A_completed_round_cannot_be_aborted()
    {
        var round = NewRound();
        FinishStep(round, 0);
        FinishStep(round, 1);
        FinishStep(round, 2);
        round.BeginActivation();
        foreach (var member in Config.Members) round.ProcessorActivated(member);
        round.Complete();

        Assert.False(round.Abort("late"));
        Assert.Equal(RoundPhase.Completed, round.Phase);
    }

    [Fact]
    public void Progress_names_the_epoch_step_service_pending_members_and_the_duration_of_every_finished_step()
    {
        var round = NewRound();
        round.EnterBarrier(0);
        _time.Advance(TimeSpan.FromMilliseconds(3));
        round.CompleteBarrier(0);
        _time.Advance(TimeSpan.FromMilliseconds(5));
        foreach (var member in Config.Members) round.ProcessorDone(member, 0);
        round.EnterBarrier(1);

        var atBarrier = round.Progress(["p2"]);
        Assert.Equal((7L, RoundPhase.Barrier, 1, "evt"), (atBarrier.Epoch, atBarrier.Phase, atBarrier.Step, atBarrier.Service));
        Assert.Equal(["p2"], atBarrier.Pending.ToArray());
        var step = Assert.Single(atBarrier.Steps);
        Assert.Equal(TimeSpan.FromMilliseconds(3), step.BarrierWait);
        Assert.Equal(TimeSpan.FromMilliseconds(5), step.Processing);

        round.CompleteBarrier(1);
        round.ProcessorDone("p1", 1);
        Assert.Equal(["p2", "p3"], round.Progress([]).Pending.ToArray());
        Assert.Equal(TimeSpan.FromMilliseconds(8), round.Progress([]).Elapsed);
    }

    [Fact]
    public void A_round_without_members_or_without_services_completes()
    {
        var empty = new Round(Config with { Members = [] }, Services, _time);
        for (var step = 0; step < Services.Length; step++)
        {
            empty.EnterBarrier(step);
            Assert.True(empty.CompleteBarrier(step));
            Assert.True(empty.IsStepDone);
        }

        Assert.True(empty.BeginActivation());
        Assert.True(empty.Complete());

        var serviceless = new Round(Config, [], _time);
        Assert.True(serviceless.BeginActivation());
        foreach (var member in Config.Members) serviceless.ProcessorActivated(member);
        Assert.True(serviceless.Complete());
    }
}
