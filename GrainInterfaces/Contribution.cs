namespace Resync;

/// <summary>
/// What one replica sends to the others during process, through the round's exchange.
/// Empty <see cref="Recipients"/> means every member. Payloads must be serializable and never mutated.
/// </summary>
/// <param name="Epoch">The round's epoch.</param>
/// <param name="Service">The service whose step sent it.</param>
/// <param name="Sender">The processor whose replica sent it.</param>
/// <param name="Sequence">Its place among the sender's sends in this round.</param>
/// <param name="Recipients">The members it is for; empty for every member.</param>
/// <param name="Payload">What was sent.</param>
[GenerateSerializer, Immutable, Alias("resync.contribution")]
public sealed record Contribution(
    [property: Id(0)] long Epoch,
    [property: Id(1)] string Service,
    [property: Id(2)] string Sender,
    [property: Id(3)] int Sequence,
    [property: Id(4)] ImmutableArray<string> Recipients,
    [property: Id(5)] object Payload)
{
    /// <summary>What a contribution counts as when nobody measured it.</summary>
    public const int UnmeasuredBytes = 256;

    /// <summary>Whether it is for <paramref name="processor"/>.</summary>
    public bool IsFor(string processor) => Recipients.IsDefaultOrEmpty || Recipients.Contains(processor);

    /// <summary>
    /// How many bytes the payload takes on the wire, measured by the engine when it was sent (it cuts deliveries
    /// into batches by it); <see cref="UnmeasuredBytes"/> if it was made otherwise.
    /// </summary>
    [Id(6)] public int Bytes { get; init; } = UnmeasuredBytes;
}
