using Microsoft.Extensions.Time.Testing;
using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class RoundTests
{
    private static readonly ImmutableArray<string> Services = ["clm", "evt", "ckpt"];
    private static readonly Configuration Config = new(7, ["p1", "p2", "p3"], ["p1", "p2"]);
    private readonly FakeTimeProvider _time = new();

    private Round NewRound() => new(Config, Services, _time);

    /// <summary>Barrier <paramref name="barrier"/> completes, carrying what the members' requests carried.</summary>
    private static bool Complete(Round round, int barrier, params Contribution[] carried) =>
        round.CompleteBarrier(barrier, [.. carried], carried.Length, TimeSpan.Zero);

    private static Contribution Sent(string sender, int sequence, string service = "clm", long epoch = 7, string? to = null) =>
        new(epoch, service, sender, sequence, to is null ? [] : [to], $"{sender}#{sequence}");

    private static object[] Payloads(ImmutableArray<Contribution> contributions) => [.. contributions.Select(c => c.Payload)];

    /// <summary>Opens the round and completes every barrier up to and including <paramref name="barrier"/>.</summary>
    private static Round Through(Round round, int barrier)
    {
        Assert.True(round.Open());
        for (var b = 0; b <= barrier; b++)
        {
            Assert.True(Complete(round, b));
        }

        return round;
    }

    [Fact]
    public void There_is_one_barrier_per_step_and_a_last_one_that_ends_the_round()
    {
        var round = NewRound();
        Assert.Equal(Services.Length + 1, round.Barriers);
        Assert.Null(round.NextBarrier);
        round.Open();
        for (var barrier = 0; barrier < Services.Length; barrier++)
        {
            Assert.Equal(barrier, round.NextBarrier);
            Assert.True(Complete(round, barrier));
            // Barrier k starts step k: its service processes while the members head for barrier k+1.
            Assert.Equal((RoundPhase.Processing, barrier, Services[barrier]), (round.Phase, round.Step, round.Service));
        }

        Assert.True(Complete(round, Services.Length));
        Assert.Equal(RoundPhase.Activating, round.Phase);
        Assert.True(round.IsComplete);
        Assert.Null(round.NextBarrier);
        Assert.Equal(Services, round.Steps.Select(s => s.Service));
    }

    [Fact]
    public void A_barrier_completes_only_in_turn_so_no_step_begins_before_every_member_finished_the_previous_one()
    {
        var round = NewRound();
        Assert.False(Complete(round, 0));
        round.Open();
        Assert.False(Complete(round, 1));
        Assert.True(Complete(round, 0));
        Assert.False(Complete(round, 0));
        Assert.False(Complete(round, 2));
        Assert.Equal((RoundPhase.Processing, 0), (round.Phase, round.Step));
    }

    [Fact]
    public void What_the_members_sent_travels_with_their_requests_for_the_next_barrier_and_is_delivered_for_the_activation()
    {
        var round = Through(NewRound(), 0);
        Assert.True(Complete(round, 1, Sent("p2", 0, to: "p3"), Sent("p1", 0), Sent("p2", 1)));

        // Sorted by sender, then sequence; addressed contributions reach their recipients only.
        Assert.Equal(["p1#0", "p2#1"], Payloads(round.Received("p1")));
        Assert.Equal(["p1#0", "p2#0", "p2#1"], Payloads(round.Received("p3")));

        // Kept for step 1's notices; the next barrier replaces them with step 1's deliveries.
        Complete(round, 2, Sent("p1", 0, service: "evt"));
        Assert.Equal(["p1#0"], Payloads(round.Received("p3")));
    }

    [Fact]
    public void A_long_transfer_posted_ahead_of_the_request_is_delivered_with_it_and_a_post_outside_processing_is_stale()
    {
        var round = NewRound();
        round.Open();
        round.Post([Sent("p1", 0)]);
        Complete(round, 0);
        round.Post([Sent("p1", 1), Sent("p1", 2)]);
        round.Post([Sent("p1", 1)]);
        Complete(round, 1, Sent("p1", 3));

        Assert.Equal(["p1#1", "p1#2", "p1#3"], Payloads(round.Received("p2")));
        Assert.Equal(new DropCounts(1, 0, 1), round.Dropped);
    }

    [Fact]
    public void Sends_of_another_epoch_or_service_are_dropped_and_counted()
    {
        var round = Through(NewRound(), 0);
        Complete(round, 1, Sent("p1", 0, epoch: 6), Sent("p1", 1, service: "evt"), Sent("p1", 2));

        Assert.Equal(["p1#2"], Payloads(round.Received("p2")));
        Assert.Equal(new DropCounts(2, 0, 0), round.Dropped);
    }

    [Fact]
    public async Task A_gathering_meets_in_the_step_in_flight_is_stale_outside_processing_and_fails_when_the_round_is_aborted()
    {
        var round = NewRound();
        await Assert.ThrowsAsync<ArgumentException>(() => round.Gather("index", Sent("p1", 0)));
        Through(round, 0);
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
    }

    [Fact]
    public void Progress_seen_at_the_barrier_ahead_is_a_sign_of_life_and_a_barrier_that_misses_as_many_as_before_is_not()
    {
        var round = NewRound();
        round.Open();
        _time.Advance(TimeSpan.FromSeconds(5));
        round.ObserveBarrierMissing(3);
        Assert.Equal(TimeSpan.FromSeconds(5), round.SinceActivity);
        round.ObserveBarrierMissing(3);
        Assert.Equal(TimeSpan.FromSeconds(5), round.SinceActivity);

        round.ObserveBarrierMissing(1);
        Assert.Equal(TimeSpan.Zero, round.SinceActivity);

        _time.Advance(TimeSpan.FromSeconds(5));
        Complete(round, 0);
        _time.Advance(TimeSpan.FromSeconds(5));
        round.ObserveBarrierMissing(3);
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
    public void After_the_last_barrier_the_round_completes_when_every_member_activated_the_last_service_once()
    {
        var round = Through(NewRound(), Services.Length);

        Assert.Equal(Config.Members, round.Pending.Order(StringComparer.Ordinal));
        Assert.True(round.MemberActivated("p1"));
        Assert.False(round.MemberActivated("p1"));
        Assert.False(round.MemberActivated("p9"));
        Assert.False(round.TryFinish());
        round.MemberActivated("p2");
        round.MemberActivated("p3");
        Assert.True(round.TryFinish());
        Assert.Equal(RoundPhase.Completed, round.Summary().Outcome);
    }

    public static TheoryData<int> AbortPoints() => [-1, 0, 1, 2];

    [Theory]
    [MemberData(nameof(AbortPoints))]
    public void An_abort_is_accepted_in_every_phase_before_the_last_barrier_and_afterwards_every_input_is_stale(int completedBarrier)
    {
        var round = NewRound();
        round.Open();
        for (var barrier = 0; barrier <= completedBarrier; barrier++)
        {
            Complete(round, barrier);
        }

        Assert.True(round.Supersede(Config with { Epoch = 8 }, "superseded"));

        Assert.Equal(RoundPhase.Aborted, round.Phase);
        Assert.False(round.Abort("again"));
        Assert.False(Complete(round, completedBarrier + 1));
        Assert.False(round.MemberActivated("p1"));
        Assert.False(round.TryFinish());
        Assert.Empty(round.Received("p1"));
        Assert.Equal("superseded", round.Summary().AbortReason);
    }

    [Fact]
    public void A_round_past_its_last_barrier_is_complete_and_a_newer_configuration_or_a_failure_does_not_abort_it()
    {
        // Defect: a join during the last activation reported the round aborted though every member activated it.
        var round = Through(NewRound(), Services.Length);
        round.MemberActivated("p1");

        Assert.False(round.Supersede(new Configuration(8, ["p1", "p2", "p3", "p4"], ["p1", "p2", "p3"]), "join"));
        Assert.False(round.Abort("round deadline", RoundFailure.Service));
        Assert.Equal(RoundPhase.Activating, round.Phase);
        Assert.True(round.AwaitsActivation("p2"));

        round.MemberActivated("p2");
        round.MemberActivated("p3");
        Assert.True(round.TryFinish());
        var summary = round.Summary();
        Assert.Equal((RoundPhase.Completed, (string?)null, false), (summary.Outcome, summary.AbortReason, summary.Failed));
    }

    [Fact]
    public void A_complete_round_stops_waiting_for_the_last_activation_of_members_that_the_newer_configuration_no_longer_has()
    {
        // Defect: the survivors waited seconds for a member that was gone.
        var round = Through(NewRound(), Services.Length);
        round.MemberActivated("p1");
        round.MemberActivated("p2");

        Assert.False(round.Supersede(new Configuration(8, ["p1", "p2"], ["p1", "p2"]), "fail p3"));

        Assert.False(round.AwaitsActivation("p3"));
        Assert.True(round.TryFinish());
    }

    [Fact]
    public void A_failed_round_names_its_step_service_only_when_that_service_failed_it_and_a_superseded_one_is_no_failure()
    {
        var blamed = new Dictionary<RoundFailure, RoundSummary>();
        foreach (var failure in Enum.GetValues<RoundFailure>())
        {
            var round = Through(NewRound(), 0);
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
    public void Progress_names_the_epoch_step_service_pending_members_and_the_duration_of_every_finished_step()
    {
        var round = NewRound();
        round.Open();
        _time.Advance(TimeSpan.FromMilliseconds(3));
        round.CompleteBarrier(0, [], 0, TimeSpan.FromMilliseconds(2));
        _time.Advance(TimeSpan.FromMilliseconds(5));
        round.CompleteBarrier(1, [], 3, TimeSpan.FromMilliseconds(1));

        var processing = round.Progress(["p2"]);
        Assert.Equal((7L, RoundPhase.Processing, 1, "evt"), (processing.Epoch, processing.Phase, processing.Step, processing.Service));
        Assert.Equal(["p2"], processing.Pending.ToArray());
        var step = Assert.Single(processing.Steps);
        Assert.Equal((0, "clm", 3L), (step.Step, step.Service, step.ProcessCalls));
        Assert.Equal(TimeSpan.FromMilliseconds(2), step.BarrierWait);
        Assert.Equal(TimeSpan.FromMilliseconds(5), step.Processing);
        Assert.Equal(TimeSpan.FromMilliseconds(8), processing.Elapsed);

        Complete(round, 2);
        Complete(round, 3);
        round.MemberActivated("p1");
        Assert.Equal(["p2", "p3"], round.Progress([]).Pending.ToArray());
    }

    [Fact]
    public void A_round_without_members_or_without_services_completes()
    {
        var empty = Through(new Round(Config with { Members = [] }, Services, _time), Services.Length);
        Assert.True(empty.TryFinish());

        var serviceless = Through(new Round(Config, [], _time), 0);
        Assert.Equal(RoundPhase.Activating, serviceless.Phase);
        foreach (var member in Config.Members) serviceless.MemberActivated(member);
        Assert.True(serviceless.TryFinish());
    }
}
