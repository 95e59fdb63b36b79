namespace Resync;

/// <summary>
/// What a replica of a collection with tombstones knows of its versions and deletions, carried with the collection
/// from round to round (see <c>Resync.Services.TombstoneRound</c>, which decides each round's pruning from every
/// member's ledger).
/// </summary>
/// <param name="Clock">
/// The highest version counter this replica has seen in the collection (a Lamport clock): every write draws the next
/// counter from it, so that a version never repeats, also for a key whose tombstone was pruned.
/// </param>
/// <param name="Horizon">
/// The highest counter of a tombstone that a round pruned: a member whose horizon is below another's missed a pruning,
/// and an item at most this old that only such a member holds is taken as deleted.
/// </param>
/// <param name="SyncedEpoch">The epoch this replica last activated; 0 before its first round.</param>
/// <param name="Marks">The collection's clock at past rounds, oldest first: what tells a counter's age.</param>
[GenerateSerializer, Immutable, Alias("resync.tombstones.ledger")]
public sealed record TombstoneLedger(
    [property: Id(0)] long Clock,
    [property: Id(1)] long Horizon,
    [property: Id(2)] long SyncedEpoch,
    [property: Id(3)] ImmutableArray<ClockMark> Marks)
{
    /// <summary>The ledger of a replica that has seen nothing.</summary>
    public static TombstoneLedger Empty { get; } = new(0, 0, 0, []);

    /// <summary>This ledger having seen <paramref name="version"/>: its clock at least that version's counter.</summary>
    public TombstoneLedger Saw(ItemVersion version) => version.Counter <= Clock ? this : this with { Clock = version.Counter };

    /// <summary>
    /// The version of a write by <paramref name="writer"/>, which serves the state of <paramref name="epoch"/>: newer than
    /// every version this replica has seen, and than every version written in an earlier epoch (<see cref="ItemVersion.Epoch"/>),
    /// also one that only processors that have since left had seen.
    /// </summary>
    public ItemVersion Next(string writer, long epoch) => new(Math.Max(Clock + 1, ItemVersion.FirstOf(epoch)), writer);
}

/// <summary>A collection's clock as it stood at a round.</summary>
/// <param name="At">When the round decided (the median of its three lowest members' clocks).</param>
/// <param name="Clock">The highest version counter any member had seen by then.</param>
[GenerateSerializer, Immutable, Alias("resync.tombstones.mark")]
public readonly record struct ClockMark([property: Id(0)] DateTimeOffset At, [property: Id(1)] long Clock);

/// <summary>What one member tells a round of its collection's tombstones: its ledger, its time, and how long tombstones are kept.</summary>
/// <param name="Ledger">The member's ledger.</param>
/// <param name="Now">The member's time when it contributed.</param>
/// <param name="Retention">How long the member keeps tombstones; the round uses the shortest.</param>
[GenerateSerializer, Immutable, Alias("resync.tombstones.report")]
public sealed record TombstoneReport(
    [property: Id(0)] TombstoneLedger Ledger,
    [property: Id(1)] DateTimeOffset Now,
    [property: Id(2)] TimeSpan Retention);
