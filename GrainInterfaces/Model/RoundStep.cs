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

/// <summary>A replica's account of its init and process callbacks for one step.</summary>
[GenerateSerializer, Immutable, Alias("resync.step-report")]
public sealed record StepReport(
    [property: Id(0)] string Processor,
    [property: Id(1)] bool Completed,
    [property: Id(2)] int ProcessCalls);
