namespace Resync;

/// <summary>
/// A numbered member set. <see cref="Epoch"/> only grows; <see cref="Survivors"/> are the members of
/// the previous configuration that are still members (corosync's transitional list).
/// Members and survivors are sorted ordinally and hold no duplicates.
/// </summary>
[GenerateSerializer, Immutable, Alias("resync.configuration")]
public sealed record Configuration(
    [property: Id(0)] long Epoch,
    [property: Id(1)] ImmutableArray<string> Members,
    [property: Id(2)] ImmutableArray<string> Survivors)
{
    public static Configuration Initial { get; } = new(0, [], []);

    public bool IsMember(string processor) => Members.BinarySearch(processor, StringComparer.Ordinal) >= 0;

    // Value equality: ImmutableArray compares by reference otherwise.
    public bool Equals(Configuration? other) =>
        other is not null && Epoch == other.Epoch &&
        Members.AsSpan().SequenceEqual(other.Members.AsSpan()) && Survivors.AsSpan().SequenceEqual(other.Survivors.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Epoch, Members.Length, Survivors.Length);
}
