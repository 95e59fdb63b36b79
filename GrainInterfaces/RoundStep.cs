namespace Resync;

/// <summary>One step of one round, as a processor and a replica see it.</summary>
[GenerateSerializer, Immutable, Alias("resync.round-step")]
public sealed record RoundStep(
    [property: Id(0)] Configuration Configuration,
    [property: Id(1)] int Step,
    [property: Id(2)] string Service)
{
    public long Epoch => Configuration.Epoch;
}

/// <summary>What a replica answers for one call of its process callback.</summary>
[GenerateSerializer, Alias("resync.process-result")]
public enum ProcessResult
{
    /// <summary>The replica has sent everything it had to send for this round.</summary>
    Done,
    /// <summary>There is more work; call again.</summary>
    More,
}

/// <summary>
/// A replica's account of its init and process callbacks for one step, with what its process calls sent
/// (<see cref="Sent"/>): the sends travel with the answer, so they are delivered to the round before the
/// engine learns that this replica is done (contract item 4).
/// </summary>
[GenerateSerializer, Immutable, Alias("resync.step-report")]
public sealed record StepReport(
    [property: Id(0)] string Processor,
    [property: Id(1)] bool Completed,
    [property: Id(2)] int ProcessCalls,
    [property: Id(3)] ImmutableArray<Contribution> Sent)
{
    /// <summary>The replica did not finish the step (it saw the round aborted, or never saw its gate); it sent nothing.</summary>
    public static StepReport Unfinished(string processor, int processCalls = 0) => new(processor, false, processCalls, []);
}
