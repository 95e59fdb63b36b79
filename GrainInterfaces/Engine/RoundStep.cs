namespace Resync.Engine;

/// <summary>One step of one round, as a processor and a replica see it.</summary>
[GenerateSerializer, Immutable, Alias("resync.round-step")]
internal sealed record RoundStep(
    [property: Id(0)] Configuration Configuration,
    [property: Id(1)] int Step,
    [property: Id(2)] string Service)
{
    public long Epoch => Configuration.Epoch;

    /// <summary>
    /// The members whose silo has no replica of <see cref="Service"/> (a rolling upgrade adds or removes a service silo by
    /// silo): they take part in the step without one. Sorted; empty when every member has the service.
    /// </summary>
    [Id(3)] public ImmutableArray<string> Lacking { get; init; } = [];

    /// <summary>The round's services, in the order the cluster agreed: a notice is understood without the ones before it.</summary>
    [Id(4)] public ImmutableArray<string> Services { get; init; } = [];

    /// <summary>The configuration as the service's replicas see it: its members that have the service, and their survivors.</summary>
    public Configuration ForService() =>
        Lacking.IsDefaultOrEmpty
            ? Configuration
            : Configuration with { Members = [.. Configuration.Members.Except(Lacking)], Survivors = [.. Configuration.Survivors.Except(Lacking)] };
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
