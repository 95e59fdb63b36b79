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
 *    - a round knows a counter's age from the marks: the collection's clock at past rounds, with their times (the
 *      median of the three lowest members' times, so that one wrong clock among them moves nothing); tombstones
 *      at or under the clock of the newest mark that is a retention old are pruned;
 *    - a tombstone goes only as the round's winner for its key, so a deletion whose write was in doubt is settled
 *      on every member by the same round; every member that activates drops the same tombstones (they are not even
 *      sent), so none holds one that another pruned;
 *    - the horizon (TombstoneLedger.Horizon) is the highest counter a pruning dropped; a member whose horizon is
 *      below the others' missed a pruning (it was away, or is new) and is behind: an entry of its at or under the
 *      horizon whose key no member that is not behind holds, live or deleted, is taken as deleted (its tombstone
 *      went while it was away) and counts for nothing.
 *
 * Only a round prunes. A tombstone goes at the first round that comes a retention after a round that followed its
 * deletion (rounds closer than a sixteenth of the retention add no mark, and count as the earlier one), so memory
 * holds every deletion since the newest round that is a retention old: rounds bound it, and a cluster whose
 * membership never changes keeps its tombstones. What the rule cannot tell apart: an item that only a behind member
 * holds and that is no newer than a pruned tombstone is taken as deleted, also when it was never deleted (a write
 * the member made in doubt before it left, or an item of a membership that was wholly replaced while it was away
 * and whose successors pruned other deletions since). The retention is how long such an item keeps its chance.
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
    private readonly long _clock;
    private readonly long _epoch;
    private readonly ImmutableArray<ClockMark> _marks;

    private TombstoneRound(HashSet<string> behind, long horizon, long pruneAtOrBelow, long clock, long epoch, ImmutableArray<ClockMark> marks)
    {
        _behind = behind;
        ExcludedHorizon = horizon;
        PruneAtOrBelow = pruneAtOrBelow;
        _clock = clock;
        _epoch = epoch;
        _marks = marks;
    }

    /// <summary>The horizon that members' entries are held against: the highest of the members' before this round.</summary>
    public long ExcludedHorizon { get; }

    /// <summary>Tombstones whose counter is at most this are dropped at this round's activation: the clock of the newest mark that is a retention old.</summary>
    public long PruneAtOrBelow { get; }

    /// <summary>Whether any member is behind: only then may an entry count for nothing.</summary>
    public bool AnyBehind => _behind.Count > 0;

    /// <summary>
    /// Decides the round of <paramref name="epoch"/> from every member's report, sorted by member (ordinal), as a round's
    /// exchange gives them. A member's later parts carry no report; a member none of whose parts does (a silo of a version
    /// before pruning) is behind once any member pruned.
    /// </summary>
    /// <remarks>
    /// Every member decides from every member's report: one pass over them, no sort, no copy and no string comparison
    /// (the round's cost is N²); pass a view of what the round delivered rather than a list made of it.
    /// </remarks>
    public static TombstoneRound Plan(long epoch, IReadOnlyList<(string Member, TombstoneReport? Report)> reports)
    {
        long clock = 0, horizon = 0, lowestHorizon = long.MaxValue;
        var retention = TimeSpan.MaxValue;
        TombstoneLedger? newest = null;
        Span<int> lowest = [-1, -1, -1];
        var count = 0;
        List<string>? unreported = null;
        for (var i = 0; i < reports.Count; i++)
        {
            if (reports[i].Report is not { } report)
            {
                // A member's first part carries its report, its later parts none; a member none of whose parts does is of a
                // version before pruning. Only a part without a report pays for the look.
                if (i == 0 || !SameMember(reports, i, i - 1))
                {
                    var next = i + 1;
                    while (next < reports.Count && SameMember(reports, next, i) && reports[next].Report is null)
                    {
                        next++;
                    }

                    if (next == reports.Count || !SameMember(reports, next, i))
                    {
                        (unreported ??= []).Add(reports[i].Member);
                    }
                }

                continue;
            }

            var ledger = report.Ledger;
            (clock, horizon, lowestHorizon) = (Math.Max(clock, ledger.Clock), Math.Max(horizon, ledger.Horizon), Math.Min(lowestHorizon, ledger.Horizon));
            retention = report.Retention < retention ? report.Retention : retention;
            newest = newest is null || ledger.SyncedEpoch > newest.SyncedEpoch ? ledger : newest;
            if (count < 3)
            {
                lowest[count] = i;
            }

            count++;
        }

        if (newest is null)
        {
            return new TombstoneRound(NobodyBehind, 0, 0, 0, epoch, []);
        }

        // The round's time is the median of the three lowest members' (the lowest one's when fewer): one wrong clock
        // among them moves no horizon.
        var now = count >= 3
            ? Median(reports[lowest[0]].Report!.Now, reports[lowest[1]].Report!.Now, reports[lowest[2]].Report!.Now)
            : reports[lowest[0]].Report!.Now;

        // A member whose horizon is below the others' missed a pruning: it was away, or is new. So did a member without a
        // report (a silo of a version before pruning, during a rolling upgrade): it never pruned.
        var behind = lowestHorizon < horizon || unreported is not null && horizon > 0
            ? reports.Where(r => r.Report is { } report && report.Ledger.Horizon < horizon).Select(r => r.Member).Concat(horizon > 0 ? unreported ?? [] : [])
                .ToHashSet(StringComparer.Ordinal)
            : NobodyBehind;

        // The marks of the (lowest) member that activated last (all such members hold the same), this round's added unless the
        // last is younger than a sixteenth of the retention: fewer marks only make a tombstone wait longer.
        var marks = newest.Marks;
        if (marks.IsEmpty || now - marks[^1].At >= retention / 16)
        {
            marks = marks.Add(new ClockMark(marks.IsEmpty || now > marks[^1].At ? now : marks[^1].At, clock));
        }

        var cutoff = retention >= now - DateTimeOffset.MinValue ? DateTimeOffset.MinValue : now - retention;
        long aged = 0;
        var kept = 0;
        foreach (var mark in marks)
        {
            (aged, kept) = mark.At <= cutoff ? (Math.Max(aged, mark.Clock), kept) : (aged, kept + 1);
        }

        return new TombstoneRound(behind, horizon, aged, clock, epoch, kept == marks.Length ? marks : [.. marks.Where(m => m.At > cutoff)]);
    }

    private static readonly HashSet<string> NobodyBehind = [];

    private static bool SameMember(IReadOnlyList<(string Member, TombstoneReport? Report)> reports, int a, int b) =>
        string.Equals(reports[a].Member, reports[b].Member, StringComparison.Ordinal);

    private static DateTimeOffset Median(DateTimeOffset a, DateTimeOffset b, DateTimeOffset c) =>
        a > b ? (b > c ? b : a > c ? c : a) : (a > c ? a : b > c ? c : b);

    /// <summary>
    /// The keys that members which are not behind hold, live or deleted, when a member that is behind brings entries (of
    /// <paramref name="contributions"/>: <paramref name="member"/>'s, with <paramref name="keys"/>) that may count for nothing;
    /// null when none does, so that nobody pays for the set.
    /// </summary>
    public HashSet<string>? KeysHeldByCurrent<T>(IReadOnlyList<T> contributions, Func<T, string> member, Func<T, IEnumerable<string>> keys)
    {
        if (!AnyBehind || !contributions.Any(c => IsBehind(member(c)) && keys(c).Any()))
        {
            return null;
        }

        return contributions.Where(c => !IsBehind(member(c))).SelectMany(keys).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Whether <paramref name="member"/> missed a pruning that the others made (its horizon is below theirs).</summary>
    public bool IsBehind(string member) => _behind.Contains(member);

    /// <summary>
    /// Whether <paramref name="member"/>'s entry at <paramref name="version"/> counts for nothing: the member is behind,
    /// the entry is at or under the horizon, and no member that is not behind holds its key (<paramref name="heldByCurrent"/>).
    /// </summary>
    public bool Excludes(string member, ItemVersion version, bool heldByCurrent) =>
        !heldByCurrent && version.Counter <= ExcludedHorizon && _behind.Contains(member);

    /// <summary>Whether a tombstone at <paramref name="version"/> is dropped by every member at this round's activation.</summary>
    public bool Prunes(ItemVersion version) => version.Counter <= PruneAtOrBelow;

    /// <summary>
    /// Drops from <paramref name="entries"/> every tombstone that this round prunes (an entry that
    /// <paramref name="isTombstone"/> accepts, at a <paramref name="version"/> that <see cref="Prunes"/> accepts), and
    /// returns the ledger every member activates with what is left.
    /// </summary>
    public TombstoneLedger Prune<TEntry>(IDictionary<string, TEntry> entries, Func<TEntry, bool> isTombstone, Func<TEntry, ItemVersion> version)
    {
        long highestPruned = 0;
        List<string>? pruned = null;
        foreach (var (key, entry) in entries)
        {
            if (isTombstone(entry) && version(entry) is var at && Prunes(at))
            {
                (pruned ??= []).Add(key);
                highestPruned = Math.Max(highestPruned, at.Counter);
            }
        }

        foreach (var key in pruned ?? [])
        {
            entries.Remove(key);
        }

        return Next(highestPruned);
    }

    /// <summary>
    /// The ledger every member activates in this round, once the round dropped tombstones up to the counter
    /// <paramref name="highestPruned"/> (0 if none): the horizon rises only with what was pruned.
    /// </summary>
    public TombstoneLedger Next(long highestPruned) => new(_clock, Math.Max(ExcludedHorizon, highestPruned), _epoch, _marks);
}
