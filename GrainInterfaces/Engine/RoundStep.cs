namespace Resync.Engine;

/// <summary>One step of one round, as a processor and a replica see it.</summary>
[GenerateSerializer, Immutable, Alias("resync.round-step")]
internal sealed record RoundStep(
    [property: Id(0)] Configuration Configuration,
    [property: Id(1)] int Step,
    [property: Id(2)] string Service)
{
    public long Epoch => Configuration.Epoch;
}

/// <summary>
/// A replica's account of its init and process callbacks for one step, with what its process calls sent
/// (<see cref="Sent"/>): the sends travel with the answer, so they are delivered to the round before the
/// engine learns that this replica is done (contract item 4).
/// </summary>
[GenerateSerializer, Immutable, Alias("resync.step-report")]
internal sealed record StepReport(
    [property: Id(0)] string Processor,
    [property: Id(1)] bool Completed,
    [property: Id(2)] int ProcessCalls,
    [property: Id(3)] ImmutableArray<Contribution> Sent)
{
    /// <summary>The replica did not finish the step (it saw the round aborted, or never saw its gate); it sent nothing.</summary>
    public static StepReport Unfinished(string processor, int processCalls = 0) => new(processor, false, processCalls, []);
}
