namespace Resync;

/// <summary>
/// The version of a replicated item: a counter and the processor that wrote it. Newer means a higher
/// counter, ties broken by the writer's id (ordinal), so every replica picks the same winner.
/// </summary>
/// <param name="Counter">
/// A Lamport clock of the item's collection: a write counts one more than every version its replica has seen, and
/// at least the first counter of the epoch whose state the writer serves (<see cref="Epoch"/>, the high 32 bits), so
/// that a later epoch's write is newer than an earlier epoch's. Shown as <c>epoch.count@writer</c>.
/// </param>
/// <param name="Writer">The processor that wrote this version.</param>
[GenerateSerializer, Immutable, Alias("resync.item-version")]
public readonly record struct ItemVersion([property: Id(0)] long Counter, [property: Id(1)] string Writer) : IComparable<ItemVersion>
{
    /// <summary>The version of an item that was never written: older than every written one.</summary>
    public static ItemVersion None { get; } = new(0, "");

    /// <summary>The version that follows this one, written by <paramref name="writer"/>.</summary>
    /// <remarks>
    /// Counted per item, a version can repeat once the item's tombstone was pruned: draw versions from the collection
    /// instead (<c>VersionedItems.NextVersion</c>, <see cref="TombstoneLedger.Next"/>).
    /// </remarks>
    [Obsolete("A per-item count repeats once a tombstone is pruned; use VersionedItems.NextVersion or TombstoneLedger.Next.")]
    public ItemVersion Next(string writer) => new(Counter + 1, writer);

    /// <summary>The epoch in whose state this version was written, or a later one (the counter's high 32 bits).</summary>
    public long Epoch => Counter >> 32;

    /// <summary>
    /// The lowest counter of a write made while serving the state of <paramref name="epoch"/>; 0 for an epoch outside the
    /// configurations' range (a silo's rehearsal, from 2^62), which sets no floor.
    /// </summary>
    public static long FirstOf(long epoch) => epoch is > 0 and < 1L << 31 ? epoch << 32 : 0;

    /// <inheritdoc />
    public int CompareTo(ItemVersion other)
    {
        var byCounter = Counter.CompareTo(other.Counter);
        return byCounter != 0 ? byCounter : string.CompareOrdinal(Writer, other.Writer);
    }

    /// <summary>Compares two versions by counter, then by writer (ordinal).</summary>
    public static bool operator >(ItemVersion left, ItemVersion right) => left.CompareTo(right) > 0;

    /// <summary>Compares two versions by counter, then by writer (ordinal).</summary>
    public static bool operator <(ItemVersion left, ItemVersion right) => left.CompareTo(right) < 0;

    /// <summary>Compares two versions by counter, then by writer (ordinal).</summary>
    public static bool operator >=(ItemVersion left, ItemVersion right) => left.CompareTo(right) >= 0;

    /// <summary>Compares two versions by counter, then by writer (ordinal).</summary>
    public static bool operator <=(ItemVersion left, ItemVersion right) => left.CompareTo(right) <= 0;

    /// <inheritdoc />
    public override string ToString() => Epoch > 0 ? $"{Epoch}.{Counter & uint.MaxValue}@{Writer}" : $"{Counter}@{Writer}";
}
