using Resync.Reference;
using Resync.Reference.Evt;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Reference;

public sealed class EvtStoreTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly HashSet<string> View = ["p1", "p2", "p3"];
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(10);

    private static EvtChannel Channel(string name, bool open, long counter, string writer = "p1") => new(name, open, new ItemVersion(counter, writer));

    private static IEnumerable<(string, EvtSnapshot)> Parts(EvtStore store, string sender, int eventsPerPart = 10) =>
        store.Parts(eventsPerPart, Now, Keep).Select(part => (sender, part));

    private static EvtEvent Event(string id, EvtChannel channel, TimeSpan expiresIn) =>
        new(id, channel.Name, channel.Version, [1, 2], "p1", Now, Now + expiresIn);

    [Fact]
    public void The_newest_channel_version_wins_and_a_closed_channel_drops_its_events_and_subscriptions()
    {
        var open = Channel("c", true, 1);
        var closed = Channel("c", false, 2, "p2");
        var stale = new EvtStore();
        stale.Apply(open);
        stale.Apply(Event("e1", open, TimeSpan.FromHours(1)), Now);
        stale.Apply(new EvtSubscription("c", "p1"));
        var fresh = new EvtStore();
        fresh.Apply(closed);

        var merged = EvtStore.Merge(1, [.. Parts(stale, "p1"), .. Parts(fresh, "p2")], View.Contains, Now);

        Assert.Null(merged.OpenChannel("c"));
        Assert.Empty(merged.Channels(Now));
        Assert.Equal(fresh.Digest(Now), merged.Digest(Now));
    }

    [Fact]
    public void Events_are_deduplicated_by_id_and_expired_events_or_events_of_an_older_channel_generation_are_dropped()
    {
        var first = Channel("c", true, 1);
        var reopened = Channel("c", true, 3);
        var a = new EvtStore();
        a.Apply(first);
        a.Apply(Event("old-generation", first, TimeSpan.FromHours(1)), Now);
        var b = new EvtStore();
        b.Apply(reopened);
        b.Apply(Event("kept", reopened, TimeSpan.FromHours(1)), Now);
        b.Apply(Event("expiring", reopened, TimeSpan.FromMinutes(1)), Now);

        var merged = EvtStore.Merge(1, [.. Parts(a, "p1"), .. Parts(b, "p2"), .. Parts(b, "p2")], View.Contains, Now + TimeSpan.FromMinutes(2));

        Assert.Equal(["kept"], merged.Events("c", Now + TimeSpan.FromMinutes(2)).Select(e => e.Id).ToArray());
    }

    [Fact]
    public void Subscriptions_of_processors_absent_from_the_view_are_dropped()
    {
        var store = new EvtStore();
        store.Apply(Channel("c", true, 1));
        store.Apply(new EvtSubscription("c", "p1"));
        store.Apply(new EvtSubscription("c", "gone"));

        var merged = EvtStore.Merge(1, [.. Parts(store, "p1")], View.Contains, Now);

        Assert.Equal(["p1"], merged.Channels(Now).Single().Subscribers.ToArray());
    }

    [Fact]
    public void The_merge_depends_neither_on_the_order_of_contributions_nor_on_how_they_were_split()
    {
        var random = new Random(TestSeed.Next(output));
        var replicas = Enumerable.Range(0, 4).Select(_ => new EvtStore()).ToList();
        for (var i = 0; i < 200; i++)
        {
            var replica = replicas[random.Next(replicas.Count)];
            var name = $"c{random.Next(5)}";
            switch (random.Next(4))
            {
                case 0:
                    replica.Apply(Channel(name, random.Next(3) > 0, random.Next(1, 6), $"p{random.Next(1, 4)}"));
                    break;
                case 1 when replica.OpenChannel(name) is { } open:
                    replica.Apply(Event($"e{i}", open, TimeSpan.FromMinutes(random.Next(-5, 60))), Now);
                    break;
                default:
                    replica.Apply(new EvtSubscription(name, $"p{random.Next(1, 6)}"));
                    break;
            }
        }

        var reference = EvtStore.Merge(1, [.. replicas.SelectMany((r, i) => Parts(r, $"p{i}", 1000))], View.Contains, Now).Digest(Now);
        for (var trial = 0; trial < 10; trial++)
        {
            var parts = replicas.SelectMany((r, i) => Parts(r, $"p{i}", random.Next(1, 20))).OrderBy(_ => random.Next()).ToList();
            Assert.Equal(reference, EvtStore.Merge(1, parts, View.Contains, Now).Digest(Now));
        }
    }

    [Fact]
    public void A_closed_channel_is_pruned_on_every_member_a_retention_after_the_round_that_followed_its_closing_and_never_reopens_with_a_member_that_missed_it()
    {
        var open = Channel("c", true, 1);
        var members = new Dictionary<string, EvtStore> { ["p1"] = new(), ["p2"] = new(), ["p3"] = new() };
        foreach (var store in members.Values)
        {
            store.Apply(open);
            store.Apply(Event("e1", open, TimeSpan.FromDays(1)), Now);
        }

        var away = members["p3"];
        members.Remove("p3");
        var closed = members["p1"].NextVersion("p1", 1);
        foreach (var store in members.Values)
        {
            store.Apply(open with { IsOpen = false, Version = closed });
        }

        Round(members, 2, Now + TimeSpan.FromMinutes(1));
        Assert.All(members.Values, store => Assert.Equal(1, store.ClosedChannels));
        Round(members, 3, Now + Keep + TimeSpan.FromMinutes(2));
        Assert.All(members.Values, store => Assert.Equal((0, null), (store.ClosedChannels, store.Channel("c"))));

        members["p3"] = away;
        Round(members, 4, Now + Keep + TimeSpan.FromMinutes(3));

        Assert.All(members.Values, store => Assert.Equal((null, 0), (store.Channel("c"), store.Channels(Now).Length)));
        Assert.Single(members.Values.Select(store => store.Digest(Now)).Distinct());
    }

    private static void Round(Dictionary<string, EvtStore> members, long epoch, DateTimeOffset now)
    {
        var parts = members.OrderBy(m => m.Key, StringComparer.Ordinal).SelectMany(m => m.Value.Parts(10, now, Keep).Select(part => (m.Key, part))).ToList();
        foreach (var member in members.Keys.ToList())
        {
            members[member] = EvtStore.Merge(epoch, parts, View.Contains, now);
        }
    }
}
