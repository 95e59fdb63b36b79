namespace Resync.Engine;

/// <summary>
/// A processor's arrival at one barrier of one round (contract item 3). Barrier k > 0 ends service k-1 on that
/// processor: the request is its replica's done, and carries what that replica's process sent and had not
/// posted ahead (<see cref="Sent"/>), so that it is delivered before the done counts (item 4).
/// </summary>
[GenerateSerializer, Immutable, Alias("resync.barrier-request")]
internal sealed record BarrierRequest(
    [property: Id(0)] long Epoch,
    [property: Id(1)] int Step,
    [property: Id(2)] string Processor)
{
    /// <summary>What the replica of the service that this barrier ends sent in its last process calls.</summary>
    [Id(3)] public ImmutableArray<Contribution> Sent { get; init; } = [];

    /// <summary>How many process calls that replica made in the step.</summary>
    [Id(4)] public int ProcessCalls { get; init; }

    /// <summary>On the first barrier's request: the round's services that the processor's silo has no replica of.</summary>
    [Id(5)] public ImmutableArray<string> Lacks { get; init; } = [];
}

/// <summary>What the barrier did with a request.</summary>
[GenerateSerializer, Alias("resync.barrier-verdict")]
internal enum BarrierVerdict
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

/// <summary>A barrier completed: what the requests carried, and how far apart the first and the last arrived.</summary>
[GenerateSerializer, Immutable, Alias("resync.barrier-completion")]
internal sealed record BarrierCompletion(
    [property: Id(0)] long Epoch,
    [property: Id(1)] int Step,
    [property: Id(2)] ImmutableArray<Contribution> Carried,
    [property: Id(3)] long ProcessCalls,
    [property: Id(4)] TimeSpan Wait)
{
    /// <summary>After the first barrier: for each service that some members lack, those members, sorted.</summary>
    [Id(5)] public ImmutableDictionary<string, ImmutableArray<string>> Lacking { get; init; } = ImmutableDictionary<string, ImmutableArray<string>>.Empty;
}
