namespace Resync;

/// <summary>
/// The version of a replicated item: a counter and the processor that wrote it. Newer means a higher
/// counter, ties broken by the writer's id (ordinal), so every replica picks the same winner.
/// </summary>
/// <param name="Counter">How many writes the item has had; the next write counts one more.</param>
/// <param name="Writer">The processor that wrote this version.</param>
[GenerateSerializer, Immutable, Alias("resync.item-version")]
public readonly record struct ItemVersion([property: Id(0)] long Counter, [property: Id(1)] string Writer) : IComparable<ItemVersion>
{
    /// <summary>The version of an item that was never written: older than every written one.</summary>
    public static ItemVersion None { get; } = new(0, "");

    /// <summary>The version that follows this one, written by <paramref name="writer"/>.</summary>
    public ItemVersion Next(string writer) => new(Counter + 1, writer);

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
    public override string ToString() => $"{Counter}@{Writer}";
}
