namespace Resync;

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
[GenerateSerializer, Immutable, Alias("resync.step-timing")]
public sealed record StepTiming(
    [property: Id(0)] int Step,
    [property: Id(1)] string Service,
    [property: Id(2)] TimeSpan BarrierWait,
    [property: Id(3)] TimeSpan Processing,
    [property: Id(4)] long ProcessCalls);

/// <summary>Where one round is (contract item 10).</summary>
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
    [property: Id(9)] TimeSpan SinceActivity = default);

/// <summary>Counts of barrier requests and round traffic that were not applied (contract items 3 and 7).</summary>
[GenerateSerializer, Immutable, Alias("resync.drop-counts")]
public sealed record DropCounts(
    [property: Id(0)] long Stale,
    [property: Id(1)] long Refused,
    [property: Id(2)] long Duplicate)
{
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
[GenerateSerializer, Immutable, Alias("resync.status")]
public sealed record ResyncStatus(
    [property: Id(0)] Configuration Configuration,
    [property: Id(1)] RoundProgress? Round,
    [property: Id(2)] DropCounts Dropped,
    [property: Id(3)] ImmutableArray<string> Services,
    [property: Id(4)] ImmutableArray<ServiceHealth> ServiceFailures);

/// <summary>A service whose rounds failed since the last completed round: how often in a row, the last error, and whether that makes it failing.</summary>
[GenerateSerializer, Immutable, Alias("resync.service-health")]
public sealed record ServiceHealth(
    [property: Id(0)] string Service,
    [property: Id(1)] int Failures,
    [property: Id(2)] string LastError,
    [property: Id(3)] bool Failing);

/// <summary>The outcome of an accepted or ignored membership command.</summary>
[GenerateSerializer, Immutable, Alias("resync.configuration-change")]
public sealed record ConfigurationChange(
    [property: Id(0)] bool Changed,
    [property: Id(1)] Configuration Configuration);

/// <summary>A finished round, as kept in the configuration grain's bounded history.</summary>
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
    [property: Id(9)] string? Cause = null);
