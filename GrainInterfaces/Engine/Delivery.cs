namespace Resync.Engine;

/// <summary>
/// What a step delivered to one member, as the notice that activates that step's service carries it: the
/// whole of it, or, when it is larger than a batch, its first batch, its length and its number of batches.
/// The member fetches the other batches from the round's sequencer, a few at a time, so that no message
/// grows with a transfer.
/// </summary>
[GenerateSerializer, Immutable, Alias("resync.delivery")]
internal sealed record Delivery(
    [property: Id(0)] ImmutableArray<Contribution> First,
    [property: Id(1)] int Length,
    [property: Id(2)] int Batches)
{
    public static Delivery None { get; } = Whole([]);

    public static Delivery Whole(ImmutableArray<Contribution> delivered) => new(delivered, delivered.Length, 1);

    public bool IsWhole => Batches == 1 && First.Length == Length;
}
