using Resync.Services;
using Resync.Tests.Infrastructure;
using Entry = Resync.Tests.Services.RepresentativeTransferTests.Entry;

namespace Resync.Tests.Services;

/// <summary>
/// Tombstones that a round prunes (<see cref="TombstoneRound"/>), on the representative sender's collections, without
/// Orleans: a deleted item never comes back, a version never repeats, and memory holds only the recent deletions.
/// </summary>
public sealed class TombstoneTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(10);

    [Fact]
    public void A_tombstone_goes_on_every_member_at_once_at_the_first_round_a_retention_after_the_round_that_followed_its_deletion()
    {
        var cluster = new ItemsCluster("p1", "p2", "p3");
        cluster.Write("p1", "a", "x");
        cluster.Round();
        cluster.Delete("p2", "a");
        cluster.Pass(TimeSpan.FromMinutes(1));
        cluster.Round();
        Assert.All(cluster.Members, m => Assert.Equal(1, cluster[m].Tombstones));

        cluster.Pass(Keep - TimeSpan.FromMinutes(1));
        cluster.Round();
        Assert.All(cluster.Members, m => Assert.Equal(1, cluster[m].Tombstones));

        cluster.Pass(TimeSpan.FromMinutes(2));
        cluster.Round();
        Assert.All(cluster.Members, m => Assert.Equal((0, ItemVersion.None), (cluster[m].Tombstones, cluster[m].VersionOf("a"))));
        Assert.All(cluster.Members, m => Assert.Equal(cluster[m].Ledger.Horizon, cluster["p1"].Ledger.Horizon));
        Assert.True(cluster["p1"].Ledger.Horizon > 0, "the horizon rose with the pruning");
    }

    [Fact]
    public void A_deleted_item_never_comes_back_with_a_processor_that_left_before_the_deletion_and_returns_after_its_tombstone_was_pruned()
    {
        var cluster = new ItemsCluster("p1", "p2", "p3");
        cluster.Write("p1", "a", "x");
        cluster.Round();
        cluster.Leave("p3");
        cluster.Delete("p1", "a");
        cluster.Pass(TimeSpan.FromMinutes(1));
        cluster.Round();
        cluster.Pass(Keep * 2);
        cluster.Round();
        Assert.Equal(0, cluster["p1"].Tombstones);
        Assert.Equal("x", cluster["p3"].Find("a")!.Value);

        cluster.Join("p3");
        cluster.Round();

        Assert.All(cluster.Members, m => Assert.Null(cluster[m].Find("a")));
        Assert.All(cluster.Members, m => Assert.Equal(0, cluster[m].Tombstones));
        cluster.AssertIdentical();
    }

    [Fact]
    public void A_key_created_again_after_its_tombstone_was_pruned_wins_over_the_tombstone_a_returning_member_still_holds()
    {
        var cluster = new ItemsCluster("p1", "p2", "p3");
        cluster.Write("p1", "a", "x");
        cluster.Write("p1", "a", "y");
        cluster.Delete("p3", "a");
        cluster.Pass(TimeSpan.FromMinutes(1));
        cluster.Round();
        cluster.Leave("p3");
        cluster.Pass(Keep * 2);
        cluster.Round();
        Assert.Equal(0, cluster["p1"].Tombstones);

        // Counted per key, this version would be 1@p2, older than the tombstone p3 holds (3@p3).
        var created = cluster.Write("p2", "a", "again");
        Assert.True(created > cluster["p3"].VersionOf("a"), $"{created} must be newer than the tombstone {cluster["p3"].VersionOf("a")}");
        cluster.Join("p3");
        cluster.Round();

        Assert.All(cluster.Members, m => Assert.Equal("again", cluster[m].Find("a")?.Value));
        cluster.AssertIdentical();
    }

    [Fact]
    public void A_pruned_tombstone_that_a_returning_member_still_holds_is_not_handed_back()
    {
        var cluster = new ItemsCluster("p1", "p2", "p3");
        cluster.Write("p1", "a", "x");
        cluster.Delete("p1", "a");
        cluster.Pass(TimeSpan.FromMinutes(1));
        cluster.Round();
        cluster.Leave("p3");
        cluster.Pass(Keep * 2);
        cluster.Round();
        Assert.Equal(1, cluster["p3"].Tombstones);

        cluster.Join("p3");
        cluster.Round();

        Assert.All(cluster.Members, m => Assert.Equal(0, cluster[m].Tombstones));
    }

    [Fact]
    public void A_deletion_in_doubt_is_settled_by_the_round_before_its_tombstone_goes()
    {
        var cluster = new ItemsCluster(TimeSpan.Zero, "p1", "p2", "p3");
        cluster.Write("p1", "a", "x");
        cluster.Round();
        cluster.Delete("p1", "a", reach: ["p1"]);

        cluster.Round();

        Assert.All(cluster.Members, m => Assert.Equal((null, 0), (cluster[m].Find("a"), cluster[m].Tombstones)));
    }

    [Fact]
    public void Items_that_only_a_returning_member_holds_come_back_with_it_when_they_are_newer_than_the_horizon()
    {
        var cluster = new ItemsCluster("p1", "p2", "p3");
        cluster.Write("p1", "old", "x");
        cluster.Delete("p1", "old");
        cluster.Pass(TimeSpan.FromMinutes(1));
        cluster.Round();
        cluster.Pass(Keep * 2);
        cluster.Round();
        cluster.Write("p3", "mine", "in doubt", reach: ["p3"]);
        cluster.Leave("p3");
        cluster.Round();

        cluster.Join("p3");
        cluster.Round();

        Assert.All(cluster.Members, m => Assert.Equal("in doubt", cluster[m].Find("mine")?.Value));
    }

    [Fact]
    public void Items_whose_every_holder_was_away_come_back_with_them_when_nothing_was_pruned_meanwhile()
    {
        var cluster = new ItemsCluster("p1");
        cluster.Write("p1", "k", "kept");
        cluster.Round();
        cluster.Join("p2");
        cluster.Leave("p1");
        cluster.Round();
        cluster.Write("p2", "other", "x");
        cluster.Pass(Keep * 2);
        cluster.Round();
        cluster.Pass(Keep * 2);
        cluster.Round();

        cluster.Join("p1");
        cluster.Round();

        Assert.All(cluster.Members, m => Assert.Equal("kept", cluster[m].Find("k")?.Value));
    }

    [Fact]
    public void A_deletion_that_a_wholly_replaced_membership_undid_is_made_again_when_a_member_that_pruned_it_returns()
    {
        var cluster = new ItemsCluster("p1", "p2");
        cluster.Write("p1", "k", "x");
        cluster.Round();
        cluster.Leave("p2");
        cluster.Delete("p1", "k");
        cluster.Pass(TimeSpan.FromMinutes(1));
        cluster.Round();
        cluster.Pass(Keep * 2);
        cluster.Round();
        Assert.Equal(0, cluster["p1"].Tombstones);

        // The membership is replaced by p2, which never saw the deletion: k is back while p1 is away.
        cluster.Leave("p1");
        cluster.Join("p2");
        cluster.Round();
        Assert.Equal("x", cluster["p2"].Find("k")?.Value);

        cluster.Join("p1");
        cluster.Round();

        Assert.All(cluster.Members, m => Assert.Null(cluster[m].Find("k")));
    }

    [Fact]
    public void Every_member_ends_each_round_with_exactly_the_acknowledged_items_whoever_left_and_returned_and_whatever_was_pruned()
    {
        var (random, steps) = TestSeed.Schedule(ciSeed: 19, ciSteps: 3000, output);
        var processors = new[] { "p1", "p2", "p3", "p4", "p5" };
        var cluster = new ItemsCluster(TimeSpan.FromMinutes(random.Next(0, 20)), "p1", "p2", "p3");
        var model = new Dictionary<string, string>(StringComparer.Ordinal);
        var history = new List<string>();
        for (var step = 0; step < steps; step++)
        {
            var key = $"k{random.Next(8)}";
            var writers = cluster.Members.Where(cluster.Serves).ToList();
            var writer = writers.Count > 0 ? writers[random.Next(writers.Count)] : cluster.Members[0];
            switch (random.Next(10))
            {
                case < 4 when writers.Count > 0:
                    model[key] = $"v{step}";
                    history.Add($"{step}: {writer} writes {key}={model[key]} at {cluster.Write(writer, key, model[key])}");
                    break;
                case < 6 when writers.Count > 0 && model.Remove(key):
                    history.Add($"{step}: {writer} deletes {key} at {cluster.Delete(writer, key)}");
                    break;
                // Someone who holds every acknowledged write stays: the writes of a cluster whose every holder left are not its own.
                case 6 when writers.Count > 1:
                    cluster.Leave(writer);
                    history.Add($"{step}: {writer} leaves");
                    break;
                case 7 when processors.Where(p => !cluster.Members.Contains(p)).ToList() is { Count: > 0 } away:
                    var joiner = away[random.Next(away.Count)];
                    cluster.Join(joiner);
                    history.Add($"{step}: {joiner} joins");
                    break;
                case 8:
                    var minutes = random.Next(1, 8);
                    cluster.Pass(TimeSpan.FromMinutes(minutes));
                    history.Add($"{step}: {minutes} min pass");
                    break;
                default:
                    cluster.Round();
                    history.Add($"{step}: round {cluster.Epoch} of {string.Join(",", cluster.Members)}: horizon {cluster[cluster.Members[0]].Ledger.Horizon}");
                    foreach (var member in cluster.Members)
                    {
                        var live = cluster[member].Live.ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal);
                        Assert.True(
                            live.Count == model.Count && model.All(m => live.GetValueOrDefault(m.Key) == m.Value),
                            $"step {step}, epoch {cluster.Epoch}: {member} holds [{string.Join(", ", live.Select(l => $"{l.Key}={l.Value}"))}], acknowledged [{string.Join(", ", model.Select(m => $"{m.Key}={m.Value}"))}]; the history:\n{string.Join("\n", history)}");
                    }

                    cluster.AssertIdentical();
                    break;
            }
        }

        output.WriteLine($"{cluster.Epoch} rounds; tombstones at the end: {cluster[cluster.Members[0]].Tombstones}");
    }

    [Fact]
    public void A_hundred_thousand_creations_and_deletions_leave_memory_and_each_rounds_index_bounded()
    {
        const int Cycles = 100_000, CyclesPerRound = 1_000;
        var cluster = new ItemsCluster(TimeSpan.FromMinutes(10), "p1", "p2", "p3");
        var largestIndex = 0;
        long heapAfterQuarter = 0;
        for (var cycle = 1; cycle <= Cycles; cycle++)
        {
            var key = $"checkpoint-{cycle}";
            cluster.Write("p1", key, "x");
            cluster.Delete("p2", key);
            if (cycle % CyclesPerRound == 0)
            {
                cluster.Pass(TimeSpan.FromMinutes(1));
                largestIndex = Math.Max(largestIndex, cluster.Round());
            }

            if (cycle == Cycles / 4)
            {
                heapAfterQuarter = Heap();
            }
        }

        var heapAtEnd = Heap();
        output.WriteLine($"largest index {largestIndex} entries per member; tombstones held {cluster["p1"].Tombstones}; heap {heapAfterQuarter / 1024} KiB after a quarter, {heapAtEnd / 1024} KiB at the end");

        // Ten minutes of retention at a round a minute: the tombstones of at most eleven rounds' cycles are held.
        Assert.InRange(cluster["p1"].Tombstones, 0, 11 * CyclesPerRound);
        Assert.InRange(largestIndex, 0, 12 * CyclesPerRound);
        Assert.True(heapAtEnd < heapAfterQuarter + (16 << 20), $"the heap grew from {heapAfterQuarter} to {heapAtEnd} bytes over 75,000 cycles");
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Replicas of one collection, the writes replicated among the members and rounds run as the service runs them.</summary>
    private sealed class ItemsCluster
    {
        private readonly Dictionary<string, VersionedItems<Entry>> _replicas = new(StringComparer.Ordinal);
        private readonly TimeSpan _retention;
        private DateTimeOffset _now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

        public ItemsCluster(params string[] members)
            : this(Keep, members)
        {
        }

        public ItemsCluster(TimeSpan retention, params string[] members)
        {
            _retention = retention;
            foreach (var member in members)
            {
                Join(member);
            }
        }

        private readonly HashSet<string> _joining = new(StringComparer.Ordinal);

        public List<string> Members { get; } = [];

        public long Epoch { get; private set; }

        public VersionedItems<Entry> this[string processor] => _replicas[processor];

        public void Pass(TimeSpan time) => _now += time;

        public void Join(string processor)
        {
            _replicas.TryAdd(processor, new VersionedItems<Entry>());
            _joining.Add(processor);
            Members.Add(processor);
            Members.Sort(StringComparer.Ordinal);
        }

        public void Leave(string processor) => Members.Remove(processor);

        /// <summary>Whether <paramref name="processor"/> serves the state of a round it took part in as a member, and so may write.</summary>
        public bool Serves(string processor) => Members.Contains(processor) && !_joining.Contains(processor);

        public ItemVersion Write(string writer, string key, string value, string[]? reach = null) =>
            Replicate(writer, version => new Entry(key, value, version), reach);

        public ItemVersion Delete(string writer, string key, string[]? reach = null) =>
            Replicate(writer, version => new Entry(key, "", version, IsDeleted: true), reach);

        /// <summary>Runs a round among the members; returns the most entries a member's index had.</summary>
        public int Round()
        {
            Epoch++;
            _joining.Clear();
            var indices = Members.Select(m => (m, _replicas[m].Index(_now, _retention))).ToList();
            var plans = Members.ToDictionary(m => m, m => RepresentativeTransfer<Entry>.Plan(m, Epoch, _replicas[m], indices, 64 * 1024));
            var sent = new List<(object Payload, ImmutableArray<string> Recipients)>();
            foreach (var plan in plans.Values)
            {
                while (plan.HasMoreToSend)
                {
                    plan.SendNext((payload, recipients) =>
                    {
                        sent.Add((payload, recipients.IsEmpty ? [.. Members] : recipients));
                        return 100;
                    });
                }
            }

            foreach (var member in Members)
            {
                _replicas[member] = plans[member].Assemble(_replicas[member], sent.Where(s => s.Recipients.Contains(member)).Select(s => s.Payload));
            }

            return indices.Max(i => i.Item2.Entries.Length);
        }

        public void AssertIdentical()
        {
            var first = Members[0];
            foreach (var member in Members)
            {
                Assert.Equal(
                    _replicas[first].All.Select(i => (i.Key, i.Version, i.Value, i.IsDeleted)),
                    _replicas[member].All.Select(i => (i.Key, i.Version, i.Value, i.IsDeleted)));
            }
        }

        private ItemVersion Replicate(string writer, Func<ItemVersion, Entry> make, string[]? reach)
        {
            var item = make(_replicas[writer].NextVersion(writer, _replicas[writer].Ledger.SyncedEpoch));
            foreach (var member in reach ?? [.. Members])
            {
                _replicas[member].Apply(item);
            }

            return item.Version;
        }
    }
}
