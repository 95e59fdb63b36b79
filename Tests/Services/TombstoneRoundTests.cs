using Resync.Services;

namespace Resync.Tests.Services;

/// <summary>The round's decision on tombstones (<see cref="TombstoneRound"/>) and the versions a ledger draws.</summary>
public sealed class TombstoneRoundTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Keep = TimeSpan.FromMinutes(16);

    [Fact]
    public void A_write_in_a_later_epoch_is_newer_than_every_write_of_an_earlier_one_also_one_its_writer_never_saw()
    {
        var seenMuch = TombstoneLedger.Empty.Saw(new ItemVersion(ItemVersion.FirstOf(3) + 5_000, "p9"));
        var fresh = TombstoneLedger.Empty;

        var early = seenMuch.Next("p9", 3);
        var later = fresh.Next("p1", 4);

        Assert.True(later > early, $"{later} must be newer than {early}");
        Assert.Equal("4.0@p1", later.ToString());
        Assert.Equal(early.Counter + 1, seenMuch.Saw(early).Next("p1", 3).Counter);
    }

    [Fact]
    public void Tombstones_go_up_to_the_clock_of_the_newest_mark_a_shortest_retention_old_at_the_members_median_time_and_rounds_closer_than_a_sixteenth_of_it_add_no_mark()
    {
        var ledger = TombstoneLedger.Empty;
        ledger = Decide(1, (ledger with { Clock = 10 }, T0, Keep)).Next(0);
        ledger = Decide(2, (ledger with { Clock = 20 }, T0 + TimeSpan.FromSeconds(30), Keep)).Next(0);
        Assert.Equal([new ClockMark(T0, 10)], ledger.Marks.ToArray());

        var early = Decide(3, (ledger with { Clock = 30 }, T0 + TimeSpan.FromMinutes(2), Keep));
        ledger = early.Next(0);
        Assert.Equal((0L, 0L), (early.PruneAtOrBelow, ledger.Horizon));

        var now = T0 + TimeSpan.FromMinutes(17);
        var round = Decide(4, (ledger, now, Keep), (TombstoneLedger.Empty, now, Keep * 2), (TombstoneLedger.Empty, now + TimeSpan.FromDays(9), Keep));
        Assert.Equal(10, round.PruneAtOrBelow);
        Assert.True(round.Prunes(new ItemVersion(10, "p1")));
        Assert.False(round.Prunes(new ItemVersion(11, "p1")));
        Assert.Equal((0L, 4L), (round.Next(0).Horizon, round.Next(0).SyncedEpoch));
        Assert.Equal(7, round.Next(7).Horizon);
        Assert.Equal([new ClockMark(T0 + TimeSpan.FromMinutes(2), 30), new ClockMark(now, 30)], round.Next(7).Marks.ToArray());

        var shorter = Decide(5, (round.Next(7), now + TimeSpan.FromMinutes(2), Keep), (round.Next(7), now + TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(1)));
        Assert.Equal(30, shorter.PruneAtOrBelow);
        Assert.Equal(0, Decide(6, (round.Next(7), now, TimeSpan.MaxValue)).PruneAtOrBelow);
    }

    [Fact]
    public void A_member_whose_horizon_is_below_the_others_is_behind_and_only_its_entries_under_the_horizon_that_nobody_current_holds_count_for_nothing()
    {
        var current = new TombstoneLedger(100, 50, 9, []);
        var returning = new TombstoneLedger(60, 20, 5, []);

        var round = TombstoneRound.Plan(10, [("p1", new TombstoneReport(current, T0, Keep)), ("p3", new TombstoneReport(returning, T0, Keep))]);

        Assert.True(round.IsBehind("p3"));
        Assert.False(round.IsBehind("p1"));
        Assert.True(round.Excludes("p3", new ItemVersion(50, "p3"), heldByCurrent: false));
        Assert.False(round.Excludes("p3", new ItemVersion(50, "p3"), heldByCurrent: true));
        Assert.False(round.Excludes("p3", new ItemVersion(51, "p3"), heldByCurrent: false));
        Assert.False(round.Excludes("p1", new ItemVersion(1, "p1"), heldByCurrent: false));
    }

    [Fact]
    public void A_member_without_a_report_in_any_part_never_pruned_and_is_behind_once_another_member_did()
    {
        var pruned = new TombstoneReport(new TombstoneLedger(100, 50, 9, []), T0, Keep);

        // p2 is of a version before pruning; p3's later parts carry no report, as every member's later parts.
        var round = TombstoneRound.Plan(10, [("p1", pruned), ("p2", null), ("p2", null), ("p3", pruned), ("p3", null), ("p4", null)]);

        Assert.True(round.IsBehind("p2"), "p2 reported no ledger in any part: it never pruned");
        Assert.True(round.IsBehind("p4"), "p4, the last member, reported no ledger either");
        Assert.False(round.IsBehind("p3"), "p3's first part carries its report");
        Assert.False(round.IsBehind("p1"));
        Assert.True(round.Excludes("p2", new ItemVersion(50, "p2"), heldByCurrent: false));

        var nothingPruned = TombstoneRound.Plan(10, [("p1", new TombstoneReport(TombstoneLedger.Empty, T0, Keep)), ("p2", null)]);
        Assert.False(nothingPruned.AnyBehind, "nobody pruned yet: a member without a report missed nothing");
    }

    private static TombstoneRound Decide(long epoch, params (TombstoneLedger Ledger, DateTimeOffset Now, TimeSpan Retention)[] members) =>
        TombstoneRound.Plan(epoch, [.. members.Select((m, i) => ($"p{i + 1}", new TombstoneReport(m.Ledger, m.Now, m.Retention)))]);
}
