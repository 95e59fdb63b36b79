namespace Resync;

/// <summary>
/// A numbered member set. <see cref="Epoch"/> only grows; <see cref="Survivors"/> are the members of
/// the previous configuration that are still members (corosync's transitional list).
/// Members and survivors are sorted ordinally and hold no duplicates.
/// </summary>
/// <param name="Epoch">The configuration's number; it only grows, also across a restart of the whole cluster.</param>
/// <param name="Members">The members' processor ids.</param>
/// <param name="Survivors">The members of the previous configuration that are still members.</param>
[GenerateSerializer, Immutable, Alias("resync.configuration")]
public sealed record Configuration(
    [property: Id(0)] long Epoch,
    [property: Id(1)] ImmutableArray<string> Members,
    [property: Id(2)] ImmutableArray<string> Survivors)
{
    /// <summary>The configuration before the first change: epoch 0, no members.</summary>
    public static Configuration Initial { get; } = new(0, [], []);

    /// <summary>Whether <paramref name="processor"/> is a member.</summary>
    public bool IsMember(string processor) => Members.BinarySearch(processor, StringComparer.Ordinal) >= 0;

    // Value equality: ImmutableArray compares by reference otherwise.
    /// <summary>Value equality: the same epoch, the same members and the same survivors.</summary>
    public bool Equals(Configuration? other) =>
        other is not null && Epoch == other.Epoch &&
        Members.AsSpan().SequenceEqual(other.Members.AsSpan()) && Survivors.AsSpan().SequenceEqual(other.Survivors.AsSpan());

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Epoch, Members.Length, Survivors.Length);
}
