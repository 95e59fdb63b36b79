using Microsoft.Extensions.Time.Testing;
using Resync.Services;
using Entry = Resync.Tests.Services.RepresentativeTransferTests.Entry;

namespace Resync.Tests.Services;

/// <summary>Tombstones are pruned after their retention, counted from when the replica learned them, and bounded however many deletions come.</summary>
public sealed class TombstonePruningTests
{
    private static readonly TimeSpan Retention = TimeSpan.FromMinutes(1);

    [Fact]
    public void A_tombstone_goes_once_its_retention_passed_and_moves_the_horizon_to_the_epoch_served()
    {
        var clock = new FakeTimeProvider();
        var items = new VersionedItems<Entry>(clock);
        items.Apply(new Entry("a", "", new ItemVersion(2, "p1"), IsDeleted: true));
        items.Apply(new Entry("b", "v1", new ItemVersion(1, "p1")));
        clock.Advance(TimeSpan.FromSeconds(30));
        items.Apply(new Entry("c", "", new ItemVersion(3, "p1"), IsDeleted: true));

        Assert.Equal(0, items.Prune(Retention, activatedEpoch: 4));
        Assert.Equal(0, items.PruneHorizon);
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(1, items.Prune(Retention, activatedEpoch: 5));
        Assert.Equal(5, items.PruneHorizon);
        Assert.Equal(["b", "c"], items.All.Select(i => i.Key));
        Assert.Equal(1, items.Tombstones);
    }

    [Fact]
    public void A_key_written_again_after_its_deletion_is_not_pruned_with_its_old_tombstone()
    {
        var clock = new FakeTimeProvider();
        var items = new VersionedItems<Entry>(clock);
        items.Apply(new Entry("a", "", new ItemVersion(2, "p1"), IsDeleted: true));
        items.Apply(new Entry("a", "again", new ItemVersion(3, "p2")));
        clock.Advance(Retention);

        Assert.Equal(0, items.Prune(Retention, activatedEpoch: 7));
        Assert.Equal("again", items.Find("a")!.Value);
        Assert.Equal(0, items.PruneHorizon);
    }

    [Fact]
    public void A_hundred_thousand_creations_and_deletions_leave_the_items_and_the_index_bounded()
    {
        var clock = new FakeTimeProvider();
        var items = new VersionedItems<Entry>(clock);
        var most = 0;
        for (var i = 0; i < 100_000; i++)
        {
            var key = $"k{i}";
            items.Apply(new Entry(key, "v", new ItemVersion(1, "p1")));
            items.Apply(new Entry(key, "", new ItemVersion(2, "p1"), IsDeleted: true));
            clock.Advance(TimeSpan.FromSeconds(1));
            items.Prune(Retention, activatedEpoch: 3);
            most = Math.Max(most, items.All.Count);
        }

        // A deletion a second, kept a minute: never more than a minute's worth, and what a round exchanges with it.
        Assert.InRange(most, 1, 61);
        Assert.InRange(items.Index(3).Entries.Length, 1, 61);
        Assert.Equal(items.All.Count, items.Tombstones);
    }
}
