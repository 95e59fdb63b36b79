namespace Resync;

/// <summary>Where a round is; for a finished round, how it ended.</summary>
[GenerateSerializer, Alias("resync.round-phase")]
public enum RoundPhase
{
    /// <summary>The round has started; the barrier is being opened.</summary>
    Starting,
    /// <summary>Members are arriving at the barrier of the current step.</summary>
    Barrier,
    /// <summary>The current step's service is running init and process on every member.</summary>
    Processing,
    /// <summary>Every member's last process answered done; the last service is being activated.</summary>
    Activating,
    /// <summary>Every service is activated on every member.</summary>
    Completed,
    /// <summary>A newer configuration superseded the round.</summary>
    Aborted,
}

/// <summary>
/// How long one finished step took: waiting at its barrier, then init and process on all members; and how
/// many process calls the members made in all.
/// </summary>
/// <param name="Step">The step: the index of its service in the synchronization order.</param>
/// <param name="Service">The step's service.</param>
/// <param name="BarrierWait">How long the barrier that starts the step took, from the first member's request to the last.</param>
/// <param name="Processing">From that barrier's completion to the next barrier's: init and process of the service on every member.</param>
/// <param name="ProcessCalls">The process calls of all members together.</param>
[GenerateSerializer, Immutable, Alias("resync.step-timing")]
public sealed record StepTiming(
    [property: Id(0)] int Step,
    [property: Id(1)] string Service,
    [property: Id(2)] TimeSpan BarrierWait,
    [property: Id(3)] TimeSpan Processing,
    [property: Id(4)] long ProcessCalls);

/// <summary>Where one round is (contract item 10).</summary>
/// <param name="Epoch">The round's epoch.</param>
/// <param name="Phase">Where the round is, or how it ended.</param>
/// <param name="Step">The current step; -1 before barrier 0 completes.</param>
/// <param name="Service">The current step's service; null when no step is current.</param>
/// <param name="Pending">
/// The processors the round waits for: at a barrier, the members whose request is missing; while the last
/// service is activating, the members whose activation is outstanding.
/// </param>
/// <param name="Steps">The steps that finished, in order.</param>
/// <param name="StartedAt">When the round started.</param>
/// <param name="Elapsed">How long the round has run; for a finished round, how long it took.</param>
/// <param name="AbortReason">Why the round was aborted; null unless it was.</param>
/// <param name="SinceActivity">
/// How long since the round last showed a sign of life (a transition, a barrier request, a replica's activity
/// report); the configuration grain gives up on a round that stays silent too long.
/// </param>
[GenerateSerializer, Immutable, Alias("resync.round-progress")]
public sealed record RoundProgress(
    [property: Id(0)] long Epoch,
    [property: Id(1)] RoundPhase Phase,
    [property: Id(2)] int Step,
    [property: Id(3)] string? Service,
    [property: Id(4)] ImmutableArray<string> Pending,
    [property: Id(5)] ImmutableArray<StepTiming> Steps,
    [property: Id(6)] DateTimeOffset StartedAt,
    [property: Id(7)] TimeSpan Elapsed,
    [property: Id(8)] string? AbortReason,
    [property: Id(9)] TimeSpan SinceActivity = default)
{
    /// <summary>
    /// The services that some members lack (their silo has no replica of it, as in a rolling upgrade), with those members;
    /// known once the round's first barrier completed. The others have the service.
    /// </summary>
    [Id(10)] public ImmutableArray<ServiceLack> Lacking { get; init; } = [];

    /// <summary>How long the round has been in its current phase: what the step deadline is measured against.</summary>
    [Id(11)] public TimeSpan PhaseElapsed { get; init; }

    /// <summary>Whether the round is still going: neither completed nor aborted.</summary>
    public bool InFlight => Phase is not (RoundPhase.Completed or RoundPhase.Aborted);
}

/// <summary>Counts of barrier requests and round traffic that were not applied (contract items 3 and 7).</summary>
/// <param name="Stale">Messages that carried an epoch the receiver had left behind or saw aborted (contract item 7).</param>
/// <param name="Refused">Barrier requests from a processor that is not a member of the epoch, or for a step the round does not have.</param>
/// <param name="Duplicate">Repeated messages: each was answered and changed nothing.</param>
[GenerateSerializer, Immutable, Alias("resync.drop-counts")]
public sealed record DropCounts(
    [property: Id(0)] long Stale,
    [property: Id(1)] long Refused,
    [property: Id(2)] long Duplicate)
{
    /// <summary>Nothing dropped.</summary>
    public static DropCounts None { get; } = new(0, 0, 0);

    internal DropCounts Add(BarrierVerdict verdict) => verdict switch
    {
        BarrierVerdict.Stale => this with { Stale = Stale + 1 },
        BarrierVerdict.Refused => this with { Refused = Refused + 1 },
        BarrierVerdict.Duplicate => this with { Duplicate = Duplicate + 1 },
        _ => this,
    };

    internal DropCounts Add(DropCounts other) =>
        new(Stale + other.Stale, Refused + other.Refused, Duplicate + other.Duplicate);

    /// <summary>What was dropped after <paramref name="earlier"/> was counted.</summary>
    internal DropCounts Since(DropCounts earlier) =>
        new(Stale - earlier.Stale, Refused - earlier.Refused, Duplicate - earlier.Duplicate);
}

/// <summary>The answer to "where is recovery now?": one call, everything an operator asks first.</summary>
/// <param name="Configuration">The current configuration.</param>
/// <param name="Round">The round of the current epoch; null before the first configuration, or when its sequencer holds no round.</param>
/// <param name="Dropped">What the engine dropped, counted since the configuration grain was activated.</param>
/// <param name="Services">The services the next round synchronizes, in the order the cluster agreed: the union of every live silo's registrations.</param>
/// <param name="ServiceFailures">The services whose rounds failed since the last completed round.</param>
[GenerateSerializer, Immutable, Alias("resync.status")]
public sealed record ResyncStatus(
    [property: Id(0)] Configuration Configuration,
    [property: Id(1)] RoundProgress? Round,
    [property: Id(2)] DropCounts Dropped,
    [property: Id(3)] ImmutableArray<string> Services,
    [property: Id(4)] ImmutableArray<ServiceHealth> ServiceFailures)
{
    /// <summary>The services each live silo registered, in its own order, by silo address: which silos have which services.</summary>
    [Id(5)] public ImmutableDictionary<string, ImmutableArray<string>> SiloServices { get; init; } = ImmutableDictionary<string, ImmutableArray<string>>.Empty;

    /// <summary>
    /// The newest configuration whose round completed (every member activated every service), or null when the
    /// configuration grain does not know it (no round completed since its activation, and the current one has not).
    /// </summary>
    [Id(6)] public Configuration? LastCompleted { get; init; }
}

/// <summary>A service whose rounds failed since the last completed round: how often in a row, the last error, and whether that makes it failing.</summary>
/// <param name="Service">The service.</param>
/// <param name="Failures">How many rounds in a row failed in it.</param>
/// <param name="LastError">The last failure: its epoch and reason.</param>
/// <param name="Failing">Whether <paramref name="Failures"/> reached the threshold (Resync:Rounds:ServiceFailureThreshold).</param>
[GenerateSerializer, Immutable, Alias("resync.service-health")]
public sealed record ServiceHealth(
    [property: Id(0)] string Service,
    [property: Id(1)] int Failures,
    [property: Id(2)] string LastError,
    [property: Id(3)] bool Failing);

/// <summary>The outcome of an accepted or ignored membership command.</summary>
/// <param name="Changed">Whether the command made a new configuration; false when it changed nothing.</param>
/// <param name="Configuration">The configuration after the command: the new one, or the current one when nothing changed.</param>
[GenerateSerializer, Immutable, Alias("resync.configuration-change")]
public sealed record ConfigurationChange(
    [property: Id(0)] bool Changed,
    [property: Id(1)] Configuration Configuration);

/// <summary>A finished round, as kept in the configuration grain's bounded history.</summary>
/// <param name="Epoch">The round's epoch.</param>
/// <param name="Outcome"><see cref="RoundPhase.Completed"/> or <see cref="RoundPhase.Aborted"/>.</param>
/// <param name="Members">How many members the round's configuration had.</param>
/// <param name="Steps">The steps that finished, in order.</param>
/// <param name="Duration">How long the round took, from its start to its end.</param>
/// <param name="AbortReason">Why the round was aborted; null for a completed round.</param>
/// <param name="Failed">
/// Whether the round failed (a deadline, a service's error, its sequencer's silo gone) rather than being
/// superseded; a failed round is retried under a new epoch.
/// </param>
/// <param name="FailedService">The service whose error failed the round; null otherwise.</param>
/// <param name="EndedAt">When the round ended.</param>
/// <param name="Cause">Why its epoch was made (a join, leave or fail, an eviction, a silo that came or went); null when unknown.</param>
[GenerateSerializer, Immutable, Alias("resync.round-summary")]
public sealed record RoundSummary(
    [property: Id(0)] long Epoch,
    [property: Id(1)] RoundPhase Outcome,
    [property: Id(2)] int Members,
    [property: Id(3)] ImmutableArray<StepTiming> Steps,
    [property: Id(4)] TimeSpan Duration,
    [property: Id(5)] string? AbortReason,
    [property: Id(6)] bool Failed = false,
    [property: Id(7)] string? FailedService = null,
    [property: Id(8)] DateTimeOffset EndedAt = default,
    [property: Id(9)] string? Cause = null)
{
    /// <summary>The services that some members lacked, with those members (see <see cref="RoundProgress.Lacking"/>).</summary>
    [Id(10)] public ImmutableArray<ServiceLack> Lacking { get; init; } = [];

    /// <summary>The processors whose eviction made this epoch (a step passed its deadline waiting for them), or none.</summary>
    [Id(11)] public ImmutableArray<string> Evicted { get; init; } = [];
}

/// <summary>A service that some members of a round lack: their silo has no replica of it, and they take part in its step without one.</summary>
/// <param name="Service">The service.</param>
/// <param name="Processors">The members that lack it, sorted (ordinal).</param>
[GenerateSerializer, Immutable, Alias("resync.service-lack")]
public sealed record ServiceLack([property: Id(0)] string Service, [property: Id(1)] ImmutableArray<string> Processors);
