namespace Resync.Services;

/*
 * Tombstones that go away, without Orleans.
 *
 * A deletion is a version too (a tombstone), so that a replica holding an older version cannot bring the item back.
 * Kept forever, tombstones grow without bound; pruned carelessly, they let deleted items return. Two ways they
 * returned in the first attempt, and what rules each out here:
 *
 * 1. Counters restarted. A key re-created after its tombstone was pruned started again at 1@writer, and lost to the
 *    tombstone that another member still held at a higher counter. Now every write draws its counter from the
 *    collection's clock (TombstoneLedger.Clock, a Lamport clock: the highest counter the replica has seen, raised by
 *    every write it applies and by every round to the highest of the members'), so a new version is newer than any
 *    tombstone of its key, pruned or not.
 * 2. Pruned tombstones were handed back, and deleted items returned with members that missed the deletion. Now the
 *    pruning is one decision of the round, made the same way on every member from every member's report:
 *    - a round knows a counter's age from the marks: the collection's clock at past rounds, with their times; the
 *      horizon is the clock of the newest mark older than the retention, so a tombstone at or under it is at least
 *      that old;
 *    - every member drops the same tombstones at the same activation (they are not even sent), so no member holds
 *      one that another pruned;
 *    - a member that missed the activation that last raised the horizon (it left or was new then: its SyncedEpoch
 *      is older than PrunedEpoch) is behind: an entry of its at or under the horizon whose key no member that is
 *      not behind holds, live or deleted, is taken as deleted (its tombstone was pruned while it was away) and
 *      counts for nothing.
 *
 * Only a round prunes, and only tombstones that every member held at its activation, so a deletion whose write was
 * in doubt is settled by the round before its tombstone can go. What a round prunes is bounded by the retention:
 * memory holds the deletions of the last retention and those since the last round. A behind member's own items
 * that no current member holds and that are older than the horizon are taken as deleted too: writes it made in
 * doubt before it left, or items whose every other holder lost its memory. The retention is how long such an item
 * keeps its chance to come back.
 */

/// <summary>
/// One round's decision on a collection's tombstones, made the same way on every member from every member's
/// <see cref="TombstoneReport"/>: which members are behind, which of their entries count for nothing, which
/// tombstones every member drops at activation, and the ledger every member activates. <see cref="VersionedItemsSyncService{TItem}"/>
/// uses it; a full-state service with tombstones of its own can too.
/// </summary>
public sealed class TombstoneRound
{
    private readonly HashSet<string> _behind;

    private TombstoneRound(HashSet<string> behind, long excludedHorizon, TombstoneLedger next)
    {
        _behind = behind;
        ExcludedHorizon = excludedHorizon;
        Next = next;
    }

    /// <summary>The horizon that members' entries are held against: the highest of the members' before this round.</summary>
    public long ExcludedHorizon { get; }

    /// <summary>The ledger every member activates in this round.</summary>
    public TombstoneLedger Next { get; }

    /// <summary>Whether any member is behind: only then may an entry count for nothing.</summary>
    public bool AnyBehind => _behind.Count > 0;

    /// <summary>
    /// Decides the round of <paramref name="epoch"/> from every member's report (each member's own, in any order).
    /// </summary>
    public static TombstoneRound Plan(long epoch, IReadOnlyCollection<(string Member, TombstoneReport Report)> reports)
    {
        ArgumentOutOfRangeException.ThrowIfZero(reports.Count);
        long clock = 0, horizon = 0, prunedEpoch = 0;
        var now = DateTimeOffset.MinValue;
        var retention = TimeSpan.MaxValue;
        (string Member, TombstoneLedger Ledger)? newest = null;
        foreach (var (member, report) in reports)
        {
            var ledger = report.Ledger;
            (clock, horizon, prunedEpoch) = (Math.Max(clock, ledger.Clock), Math.Max(horizon, ledger.Horizon), Math.Max(prunedEpoch, ledger.PrunedEpoch));
            (now, retention) = (report.Now > now ? report.Now : now, report.Retention < retention ? report.Retention : retention);
            if (newest is not { } best || ledger.SyncedEpoch > best.Ledger.SyncedEpoch ||
                (ledger.SyncedEpoch == best.Ledger.SyncedEpoch && string.CompareOrdinal(member, best.Member) < 0))
            {
                newest = (member, ledger);
            }
        }

        var behind = reports.Where(r => r.Report.Ledger.SyncedEpoch < prunedEpoch).Select(r => r.Member).ToHashSet(StringComparer.Ordinal);

        // The marks of the member that activated last (all such members hold the same), this round's added unless
        // the last is younger than a sixteenth of the retention: fewer marks only make the horizon later.
        var marks = newest!.Value.Ledger.Marks;
        if (marks.IsEmpty || now - marks[^1].At >= retention / 16)
        {
            marks = marks.Add(new ClockMark(now, clock));
        }

        var cutoff = now - retention;
        var aged = marks.Where(m => m.At <= cutoff).Select(m => m.Clock).DefaultIfEmpty(0).Max();
        var next = new TombstoneLedger(
            clock,
            Math.Max(horizon, aged),
            aged > horizon ? epoch : prunedEpoch,
            epoch,
            [.. marks.Where(m => m.At > cutoff)]);
        return new TombstoneRound(behind, horizon, next);
    }

    /// <summary>Whether <paramref name="member"/> missed the activation that last raised the horizon (or never activated).</summary>
    public bool IsBehind(string member) => _behind.Contains(member);

    /// <summary>
    /// Whether <paramref name="member"/>'s entry at <paramref name="version"/> counts for nothing: the member is behind,
    /// the entry is at or under the horizon, and no member that is not behind holds its key (<paramref name="heldByCurrent"/>).
    /// </summary>
    public bool Excludes(string member, ItemVersion version, bool heldByCurrent) =>
        !heldByCurrent && version.Counter <= ExcludedHorizon && _behind.Contains(member);

    /// <summary>Whether a tombstone at <paramref name="version"/> is dropped by every member at this round's activation.</summary>
    public bool Prunes(ItemVersion version) => version.Counter <= Next.Horizon;
}
