namespace Resync;

/// <summary>
/// What one replica sends to the others during process, through the round's exchange.
/// Empty <see cref="Recipients"/> means every member. Payloads must be serializable and never mutated.
/// </summary>
[GenerateSerializer, Immutable, Alias("resync.contribution")]
public sealed record Contribution(
    [property: Id(0)] long Epoch,
    [property: Id(1)] string Service,
    [property: Id(2)] string Sender,
    [property: Id(3)] int Sequence,
    [property: Id(4)] ImmutableArray<string> Recipients,
    [property: Id(5)] object Payload)
{
    public bool IsFor(string processor) => Recipients.IsDefaultOrEmpty || Recipients.Contains(processor);

    /// <summary>About how many bytes the payload takes on the wire (see <see cref="ISizedPayload"/>).</summary>
    public int Bytes => Payload is ISizedPayload sized ? sized.Bytes : ISizedPayload.DefaultBytes;
}
