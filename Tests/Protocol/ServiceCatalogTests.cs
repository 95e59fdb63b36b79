using System.Runtime.InteropServices;
using Microsoft.Extensions.Time.Testing;
using Resync.Engine;
using Resync.Protocol;

namespace Resync.Tests.Protocol;

/// <summary>Services on some silos only (a rolling upgrade): the agreed order, a processor's view of it, and a round among the holders.</summary>
public sealed class ServiceCatalogTests
{
    [Fact]
    public void A_service_a_silo_adds_at_the_end_or_in_the_middle_keeps_every_silo_s_order()
    {
        Assert.Equal<string>(["clm", "evt", "ckpt", "map"], ServiceCatalog.Order([["clm", "evt", "ckpt"], ["clm", "evt", "ckpt", "map"]]));
        Assert.Equal<string>(["clm", "map", "evt", "ckpt"], ServiceCatalog.Order([["clm", "evt", "ckpt"], ["clm", "map", "evt", "ckpt"]]));
        Assert.Equal<string>(["clm", "evt"], ServiceCatalog.Order([["clm", "evt"], ["clm", "evt"]]));
        Assert.Empty(ServiceCatalog.Order([]));
    }

    [Fact]
    public void The_order_depends_only_on_the_lists_never_on_which_silo_asks_even_when_they_disagree()
    {
        ImmutableArray<string>[] lists = [["a", "c"], ["b", "c", "d"], ["a", "b"]];
        var order = ServiceCatalog.Order(lists);

        Assert.Equal<string>(["a", "b", "c", "d"], order);
        Assert.Equal<string>(order, ServiceCatalog.Order(lists.Reverse()));
        Assert.Equal<string>(ServiceCatalog.Order([["x", "y"], ["y", "x"]]), ServiceCatalog.Order([["y", "x"], ["x", "y"]]));
    }

    [Fact]
    public void A_processor_knows_which_of_a_round_s_services_its_silo_lacks_and_where_the_others_are_among_its_own()
    {
        var local = ImmutableArray.Create("clm", "evt");
        var rounds = new RoundServices(name => local.IndexOf(name));
        rounds.Enter(5, ["clm", "map", "evt"]);

        Assert.Equal<string>(["map"], rounds.Lacking(5));
        Assert.Equal((0, -1, 1), (rounds.LocalIndex(5, 0), rounds.LocalIndex(5, 1), rounds.LocalIndex(5, 2)));
        Assert.True(rounds.IsStep(5, 1, "map"));
        Assert.False(rounds.IsStep(5, 1, "evt"));
        Assert.False(rounds.IsStep(6, 0, "clm"), "a round it did not enter has no steps here");
        Assert.Equal(-1, rounds.LocalIndex(6, 0));

        for (var epoch = 6; epoch <= 9; epoch++)
        {
            rounds.Enter(epoch, local);
        }

        Assert.Equal(0, rounds.Count(5, []));
        Assert.Equal(3, rounds.Count(5, ["clm", "map", "evt"]));
        Assert.Equal(2, rounds.Count(9, []));

        // A late notice of a round no longer kept is judged by its own list and does not push a newer round out.
        rounds.Know(5, ["clm", "map", "evt"]);
        Assert.False(rounds.Knows(5));
        Assert.True(rounds.Knows(6));
    }

    [Fact]
    public void A_round_s_list_is_refused_when_missing_or_when_a_name_is_not_valid_or_appears_twice_short_or_long()
    {
        ServiceCatalog.Validate(["clm", "evt", "ckpt"], "services");
        ServiceCatalog.Validate([], "services");
        var many = Enumerable.Range(0, 40).Select(i => $"s{i}").ToImmutableArray();
        ServiceCatalog.Validate(many, "services");

        ImmutableArray<string>[] refused =
        [
            default, ["clm", "clm"], ["clm", "evt", "clm"], ["Clm"], ["clm", ""], ["1clm"], ["clm_x"], [null!],
            many.Add("s7"), many.Add("S40"),
        ];
        foreach (var services in refused)
        {
            Assert.Throws<ArgumentException>("services", () => ServiceCatalog.Validate(services, "services"));
        }
    }

    [Fact]
    public void A_processor_keeps_the_newest_rounds_whatever_order_their_notices_come_in_and_shares_a_view_across_rounds_over_the_same_services()
    {
        var local = ImmutableArray.Create("clm", "evt");
        var rounds = new RoundServices(name => local.IndexOf(name));
        rounds.Enter(7, ["clm", "map", "evt"]);
        rounds.Enter(5, ["clm", "evt"]);
        rounds.Enter(8, ["clm", "map", "evt"]);
        rounds.Enter(6, ["clm", "evt", "map"]);

        Assert.Equal<string>(["clm", "evt"], rounds.Of(5));
        Assert.Equal<string>(["clm", "evt", "map"], rounds.Of(6));
        Assert.Equal((-1, 1, 1), (rounds.LocalIndex(7, 1), rounds.LocalIndex(7, 2), rounds.LocalIndex(6, 1)));
        Assert.Same(ImmutableCollectionsMarshal.AsArray(rounds.Lacking(7)), ImmutableCollectionsMarshal.AsArray(rounds.Lacking(8)));

        // A fifth round pushes the oldest out; a notice of that round changes nothing, and a round entered again takes its new list.
        rounds.Enter(9, local);
        Assert.False(rounds.Knows(5));
        rounds.Know(5, ["clm"]);
        Assert.False(rounds.Knows(5));
        rounds.Enter(9, ["evt"]);
        Assert.Equal<string>(["evt"], rounds.Of(9));
        Assert.Empty(rounds.Lacking(9));
        Assert.Equal<string>(["map"], rounds.Lacking(6));
    }

    [Fact]
    public void A_processor_counts_the_round_s_services_not_its_silo_s_to_know_whether_a_round_past_its_last_barrier_is_owed()
    {
        // The silo has three services; the round has four (a service only other silos have).
        var finishedAll = new ProcessorProgress();
        Assert.Equal(NoticeVerdict.Apply, finishedAll.Enter(5, 4, out _));
        Assert.Equal(NoticeVerdict.Apply, finishedAll.Step(5, 3, 4));
        Assert.Equal(NoticeVerdict.Apply, finishedAll.Enter(6, 4, out var owed));
        Assert.Equal(5, owed.Owed);

        var midway = new ProcessorProgress();
        midway.Enter(5, 4, out _);
        midway.Step(5, 2, 4);
        Assert.Equal(NoticeVerdict.Apply, midway.Enter(6, 4, out var notOwed));
        Assert.Equal(0, notOwed.Owed);

        // Counted by the silo's three services, the round's step 2 of 4 looked past its last barrier.
        var bySilo = new ProcessorProgress();
        bySilo.Enter(5, 3, out _);
        bySilo.Step(5, 2, 3);
        bySilo.Enter(6, 3, out var misjudged);
        Assert.Equal(5, misjudged.Owed);
        Assert.Equal(0, notOwed.Owed);
    }

    [Fact]
    public async Task A_round_learns_at_its_first_barrier_who_lacks_a_service_and_exchanges_that_service_among_the_others()
    {
        var round = new Round(new Configuration(4, ["p1", "p2", "p3"], []), ["clm", "map"], new FakeTimeProvider());
        Assert.True(round.Open());
        Assert.Equal<string>(["p1", "p2", "p3"], round.HoldersOf(1));

        var barrier = new RoundBarrier(round.Configuration, round.Barriers, new FakeTimeProvider());
        foreach (var (processor, lacks) in new[] { ("p1", ImmutableArray<string>.Empty), ("p2", ["map"]), ("p3", ImmutableArray<string>.Empty) })
        {
            barrier.Arrive(new BarrierRequest(4, 0, processor) { Lacks = lacks });
        }

        var completion = barrier.TakeCompletion(0);
        Assert.True(round.CompleteBarrier(0, completion.Carried, 0, TimeSpan.Zero, completion.Lacking));
        Assert.Equal<string>(["p2"], round.LackingAt(1));
        Assert.Empty(round.LackingAt(0));
        Assert.Equal<string>(["p1", "p3"], round.HoldersOf(1));
        Assert.True(round.CompleteBarrier(1, [], 0, TimeSpan.Zero));

        // The gathering of the step waits for the holders only: p2 has no replica to contribute.
        var first = round.Gather("index", new Contribution(4, "map", "p1", 0, [], "p1's"));
        Assert.False(first.IsCompleted);
        var second = round.Gather("index", new Contribution(4, "map", "p3", 0, [], "p3's"));
        Assert.True(second.IsCompletedSuccessfully, "every holder gathered");
        Assert.Equal<string>(["p1", "p3"], (await second).Select(c => c.Sender));

        // What the holders sent goes to the holders; the member that lacks the service gets nothing to activate.
        round.Post([new Contribution(4, "map", "p1", 1, [], "to all")]);
        Assert.True(round.CompleteBarrier(2, [], 0, TimeSpan.Zero));
        Assert.Single(round.Received("p3"));
        Assert.Empty(round.Received("p2"));
        Assert.Equal([new ServiceLack("map", ["p2"])], round.Progress([]).Lacking, (a, b) => a.Service == b.Service && a.Processors.SequenceEqual(b.Processors));
        Assert.Equal<string>(["p2"], Assert.Single(round.Summary().Lacking).Processors);
    }

    [Fact]
    public void The_replicas_of_a_service_see_the_configuration_of_its_holders()
    {
        var step = new RoundStep(new Configuration(4, ["p1", "p2", "p3"], ["p1", "p2"]), 1, "map") { Lacking = ["p2"] };

        Assert.Equal(new Configuration(4, ["p1", "p3"], ["p1"]), step.ForService());
        Assert.Same(step.Configuration, (step with { Lacking = [] }).ForService());
    }
}
