namespace Resync.Reference;

/// <summary>
/// The version of a replicated item: a counter and the processor that wrote it. Newer means a higher
/// counter, ties broken by the writer's id (ordinal), so every replica picks the same winner.
/// </summary>
[GenerateSerializer, Immutable, Alias("resync.item-version")]
public readonly record struct ItemVersion([property: Id(0)] long Counter, [property: Id(1)] string Writer) : IComparable<ItemVersion>
{
    public static ItemVersion None { get; } = new(0, "");

    public ItemVersion Next(string writer) => new(Counter + 1, writer);

    public int CompareTo(ItemVersion other)
    {
        var byCounter = Counter.CompareTo(other.Counter);
        return byCounter != 0 ? byCounter : string.CompareOrdinal(Writer, other.Writer);
    }

    public static bool operator >(ItemVersion left, ItemVersion right) => left.CompareTo(right) > 0;

    public static bool operator <(ItemVersion left, ItemVersion right) => left.CompareTo(right) < 0;

    public static bool operator >=(ItemVersion left, ItemVersion right) => left.CompareTo(right) >= 0;

    public static bool operator <=(ItemVersion left, ItemVersion right) => left.CompareTo(right) <= 0;

    public override string ToString() => $"{Counter}@{Writer}";
}

/// <summary>The rules for names of channels, checkpoints and sections.</summary>
public static class ItemName
{
    public const int MaxLength = 100;

    public const string Rule = "1 to 100 characters: letters, digits, '.', '_' or '-'";

    public static string Validate(string? name, string what)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxLength ||
            !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
        {
            throw new ArgumentException($"'{name}' is not a valid {what} name: {Rule}.");
        }

        return name;
    }
}
