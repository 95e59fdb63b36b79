using Microsoft.Extensions.Time.Testing;
using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class RoundTests
{
    private static readonly ImmutableArray<string> Services = ["clm", "evt", "ckpt"];
    private static readonly Configuration Config = new(7, ["p1", "p2", "p3"], ["p1", "p2"]);
    private readonly FakeTimeProvider _time = new();

    private Round NewRound() => new(Config, Services, _time);

    private static bool Done(Round round, string member, int step, params Contribution[] sent) =>
        round.ProcessorDone(member, step, 1, [.. sent]);

    private static Contribution Sent(string sender, int sequence, string service = "clm", long epoch = 7, string? to = null) =>
        new(epoch, service, sender, sequence, to is null ? [] : [to], $"{sender}#{sequence}");

    private static object[] Payloads(ImmutableArray<Contribution> contributions) => [.. contributions.Select(c => c.Payload)];

    [Fact]
    public void What_a_member_sends_travels_with_its_done_and_is_delivered_for_the_activation_on_the_way_to_the_next_barrier()
    {
        var round = NewRound();
        round.EnterBarrier(0);
        round.CompleteBarrier(0);
        Assert.False(Done(round, "p2", 0, Sent("p2", 0, to: "p3"), Sent("p2", 1)));
        // Posted before the member counts as done: what p2 sent is there while others still process.
        Assert.Equal(["p2#0", "p2#1"], Payloads(round.Received("p3")));
        Assert.False(Done(round, "p1", 0, Sent("p1", 0)));
        Assert.True(Done(round, "p3", 0));

        // Sorted by sender, then sequence; addressed contributions reach their recipients only.
        Assert.Equal(["p1#0", "p2#1"], Payloads(round.Received("p1")));
        Assert.Equal(["p1#0", "p2#0", "p2#1"], Payloads(round.Received("p3")));

        // Still delivered through barrier 1 (its notices carry them); step 1's processing starts a new mailbox.
        round.EnterBarrier(1);
        Assert.Equal(["p1#0", "p2#0", "p2#1"], Payloads(round.Received("p3")));
        round.CompleteBarrier(1);
        Assert.Empty(round.Received("p3"));
    }

    [Fact]
    public void A_long_transfer_posted_ahead_of_the_done_is_delivered_with_it_and_a_post_outside_processing_is_stale()
    {
        var round = NewRound();
        round.EnterBarrier(0);
        round.Post([Sent("p1", 0)]);
        round.CompleteBarrier(0);
        round.Post([Sent("p1", 1), Sent("p1", 2)]);
        round.Post([Sent("p1", 1)]);
        foreach (var member in Config.Members)
        {
            Done(round, member, 0, member == "p1" ? [Sent("p1", 3)] : []);
        }

        Assert.Equal(["p1#1", "p1#2", "p1#3"], Payloads(round.Received("p2")));
        Assert.Equal(new DropCounts(1, 0, 1), round.Dropped);
    }

    [Fact]
    public void Sends_of_another_epoch_or_service_are_dropped_and_counted_and_a_repeated_done_posts_nothing()
    {
        var round = NewRound();
        round.EnterBarrier(0);
        round.CompleteBarrier(0);
        Done(round, "p1", 0, Sent("p1", 0, epoch: 6), Sent("p1", 1, service: "evt"), Sent("p1", 2));
        Assert.False(Done(round, "p1", 0, Sent("p1", 3)));

        Assert.Equal(["p1#2"], Payloads(round.Received("p2")));
        Assert.Equal(new DropCounts(2, 0, 0), round.Dropped);
    }

    [Fact]
    public async Task A_gathering_meets_in_the_step_in_flight_is_stale_outside_processing_and_fails_when_the_round_is_aborted()
    {
        var round = NewRound();
        await Assert.ThrowsAsync<ArgumentException>(() => round.Gather("index", Sent("p1", 0)));
        round.EnterBarrier(0);
        round.CompleteBarrier(0);
        var first = round.Gather("index", Sent("p2", 0));
        var second = round.Gather("index", Sent("p1", 0));
        Assert.False(first.IsCompleted);
        var third = round.Gather("index", Sent("p3", 0));
        Assert.Equal(["p1#0", "p2#0", "p3#0"], Payloads(await first));
        Assert.Equal(Payloads(await second), Payloads(await third));
        await Assert.ThrowsAsync<ArgumentException>(() => round.Gather("index", Sent("p1", 1, service: "evt")));
        Assert.Equal(new DropCounts(2, 0, 0), round.Dropped);

        var waiting = round.Gather("again", Sent("p1", 2));
        round.Abort("superseded");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => waiting);
        Assert.Contains("superseded", error.Message);
        Assert.Equal(new DropCounts(2, 0, 0), round.Dropped);
    }

    private static void FinishStep(Round round, int step)
    {
        Assert.True(round.EnterBarrier(step));
        Assert.True(round.CompleteBarrier(step));
        foreach (var member in Config.Members)
        {
            Done(round, member, step);
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
        Done(round, "p1", 0);
        Done(round, "p2", 0);

        Assert.Throws<InvalidOperationException>(() => round.EnterBarrier(1));
        Assert.Equal(["p3"], round.Pending.ToArray());
    }

    [Fact]
    public void Processing_begins_only_when_the_barrier_of_the_same_step_completes()
    {
        var round = NewRound();
        round.EnterBarrier(0);

        Assert.False(Done(round, "p1", 0));
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

        Assert.False(Done(round, "p1", 0));
        Assert.False(Done(round, "p1", 0));
        Assert.False(Done(round, "p9", 0));
        Assert.False(Done(round, "p2", 0));
        Assert.True(Done(round, "p3", 0));
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
        if (point >= 3) Done(round, "p1", 0);
        if (point >= 4) { Done(round, "p2", 0); Done(round, "p3", 0); }
        if (point >= 5) { FinishStep(round, 1); FinishStep(round, 2); round.BeginActivation(); }

        Assert.True(round.Abort("superseded"));

        Assert.Equal(RoundPhase.Aborted, round.Phase);
        Assert.False(round.Abort("again"));
        Assert.False(round.EnterBarrier(round.Step + 1));
        Assert.False(round.CompleteBarrier(round.Step));
        Assert.False(Done(round, "p3", round.Step));
        Assert.False(round.BeginActivation());
        Assert.False(round.ProcessorActivated("p1"));
        Assert.False(round.Complete());
        Assert.Equal("superseded", round.Summary().AbortReason);
    }

    [Fact]
    public void A_failed_round_names_its_step_service_only_when_that_service_failed_it_and_a_superseded_one_is_no_failure()
    {
        var blamed = new Dictionary<RoundFailure, RoundSummary>();
        foreach (var failure in Enum.GetValues<RoundFailure>())
        {
            var round = NewRound();
            round.EnterBarrier(0);
            round.CompleteBarrier(0);
            Assert.True(round.Abort($"{failure}", failure));
            blamed[failure] = round.Summary();
        }

        Assert.False(blamed[RoundFailure.None].Failed);
        Assert.Null(blamed[RoundFailure.None].FailedService);
        Assert.True(blamed[RoundFailure.Service].Failed);
        Assert.Equal("clm", blamed[RoundFailure.Service].FailedService);
        Assert.True(blamed[RoundFailure.Cluster].Failed);
        Assert.Null(blamed[RoundFailure.Cluster].FailedService);
    }

    [Fact]
    public void A_replica_call_the_runtime_refused_is_the_clusters_failure_and_anything_the_call_threw_is_the_services()
    {
        // The runtime's refusals are message rejections (a silo that is unavailable is one of them); their constructors are the runtime's own.
        Assert.IsAssignableFrom<OrleansMessageRejectionException>(new SiloUnavailableException());
        Assert.Equal(RoundFailure.Cluster, RoundFailures.Of(new SiloUnavailableException("the replica's silo is gone")));
        Assert.Equal(RoundFailure.Cluster, RoundFailures.Of(new InvalidOperationException("on processor p1", new SiloUnavailableException("Silo stopping"))));
        Assert.Equal(RoundFailure.Service, RoundFailures.Of(new InvalidOperationException("conformance service told to throw in process")));
        Assert.Equal(RoundFailure.Service, RoundFailures.Of(new TimeoutException("a callback that never returns")));
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
        foreach (var member in Config.Members) Done(round, member, 0);
        round.EnterBarrier(1);

        var atBarrier = round.Progress(["p2"]);
        Assert.Equal((7L, RoundPhase.Barrier, 1, "evt"), (atBarrier.Epoch, atBarrier.Phase, atBarrier.Step, atBarrier.Service));
        Assert.Equal(["p2"], atBarrier.Pending.ToArray());
        var step = Assert.Single(atBarrier.Steps);
        Assert.Equal(TimeSpan.FromMilliseconds(3), step.BarrierWait);
        Assert.Equal(TimeSpan.FromMilliseconds(5), step.Processing);

        round.CompleteBarrier(1);
        Done(round, "p1", 1);
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
