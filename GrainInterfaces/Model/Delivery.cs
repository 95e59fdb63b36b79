namespace Resync;

/// <summary>
/// What a step delivered to one member, as the notice that activates that step's service carries it: the
/// whole of it, or, when it is larger than a batch, its first batch and its length. The member fetches the
/// rest from the round's sequencer, a batch at a time, so that no message grows with a transfer.
/// </summary>
[GenerateSerializer, Immutable, Alias("resync.delivery")]
public sealed record Delivery([property: Id(0)] ImmutableArray<Contribution> First, [property: Id(1)] int Length)
{
    public static Delivery None { get; } = new([], 0);

    public bool IsWhole => First.Length == Length;
}

/// <summary>
/// A payload that may be large says how large, so that deliveries are cut into bounded batches; any other
/// payload counts as small (<see cref="DefaultBytes"/>).
/// </summary>
public interface ISizedPayload
{
    public const int DefaultBytes = 256;

    /// <summary>About how many bytes the payload takes on the wire.</summary>
    int Bytes { get; }
}
