namespace Resync;

/// <summary>A processor's arrival at the barrier of one step of one round (contract item 3).</summary>
[GenerateSerializer, Immutable, Alias("resync.barrier-request")]
public sealed record BarrierRequest(
    [property: Id(0)] long Epoch,
    [property: Id(1)] int Step,
    [property: Id(2)] string Processor);

/// <summary>What the barrier did with a request.</summary>
[GenerateSerializer, Alias("resync.barrier-verdict")]
public enum BarrierVerdict
{
    /// <summary>Counted; others are still missing.</summary>
    Accepted,
    /// <summary>Counted, and it was the last one: the step's barrier is complete.</summary>
    Completed,
    /// <summary>Already counted; harmless.</summary>
    Duplicate,
    /// <summary>Tagged with another epoch, or the round is over: dropped.</summary>
    Stale,
    /// <summary>From a non-member, or for a step the round does not have: dropped.</summary>
    Refused,
}
