namespace Resync.Operations.Dashboard;

/// <summary>
/// What the dashboard shows, made from the cluster's status and history: durations in milliseconds, the round's
/// steps by service, evictions read from the history. The page renders a snapshot whole, so each one stands alone.
/// </summary>
internal sealed record DashboardSnapshot(
    DateTimeOffset GeneratedAt,
    string Silo,
    long Epoch,
    ImmutableArray<string> Members,
    ImmutableArray<string> Services,
    DashboardRound? Round,
    DropCounts Dropped,
    ImmutableArray<ServiceHealth> FailingServices,
    ImmutableArray<DashboardEviction> Evictions,
    ImmutableArray<DashboardHistoryEntry> History,
    ImmutableDictionary<string, ImmutableArray<string>> SiloServices)
{
    public static DashboardSnapshot From(ResyncStatus status, ImmutableArray<RoundSummary> history, string silo, DateTimeOffset now, int historyLimit)
    {
        var kept = history.Length > historyLimit ? history[^historyLimit..] : history;
        return new(
            now,
            silo,
            status.Configuration.Epoch,
            status.Configuration.Members,
            status.Services,
            status.Round is { } round ? DashboardRound.From(round) : null,
            status.Dropped,
            status.ServiceFailures,
            [.. history.Reverse().Where(h => h.Evicted.Length > 0).Select(h => new DashboardEviction(h.Epoch, h.Evicted, h.Cause))],
            [.. kept.Select(DashboardHistoryEntry.From)],
            status.SiloServices);
    }

    /// <summary>The same snapshot with only the newest <paramref name="history"/> ended rounds.</summary>
    public DashboardSnapshot Trimmed(int history) => History.Length > history ? this with { History = History[^history..] } : this;
}

internal sealed record DashboardRound(
    long Epoch,
    RoundPhase Phase,
    bool InFlight,
    int Step,
    string? Service,
    ImmutableArray<string> WaitingFor,
    double ElapsedMs,
    double SinceActivityMs,
    string? AbortReason,
    ImmutableArray<DashboardStep> Steps,
    ImmutableArray<ServiceLack> Lacking)
{
    public static DashboardRound From(RoundProgress round) => new(
        round.Epoch,
        round.Phase,
        round.InFlight,
        round.Step,
        round.Service,
        round.Pending,
        round.Elapsed.TotalMilliseconds,
        round.SinceActivity.TotalMilliseconds,
        round.AbortReason,
        [.. round.Steps.Select(DashboardStep.From)],
        round.Lacking);
}

internal sealed record DashboardStep(int Step, string Service, double BarrierWaitMs, double ProcessingMs, long ProcessCalls)
{
    public static DashboardStep From(StepTiming step) =>
        new(step.Step, step.Service, step.BarrierWait.TotalMilliseconds, step.Processing.TotalMilliseconds, step.ProcessCalls);
}

internal sealed record DashboardHistoryEntry(
    long Epoch,
    RoundPhase Outcome,
    bool Failed,
    int Members,
    double DurationMs,
    DateTimeOffset EndedAt,
    string? Cause,
    string? AbortReason,
    ImmutableArray<DashboardStep> Steps)
{
    public static DashboardHistoryEntry From(RoundSummary round) => new(
        round.Epoch, round.Outcome, round.Failed, round.Members, round.Duration.TotalMilliseconds, round.EndedAt,
        round.Cause, round.AbortReason, [.. round.Steps.Select(DashboardStep.From)]);
}

internal sealed record DashboardEviction(long Epoch, ImmutableArray<string> Processors, string? Reason);
