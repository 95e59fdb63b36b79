using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Resync.Operations.Health;

/// <summary>
/// Whether a silo is ready, decided from the cluster's status. Healthy: its processor is a member of the current
/// configuration and that configuration's round completed, and no service is failing. Degraded: it is a member of a
/// configuration whose round completed, and a newer one's round is in flight (saying whom it waits for, and when it is
/// past its step or round deadline), settling, or awaiting its retry. Unhealthy: a service is failing, the processor
/// is not a member, or it has not yet been a member of a configuration whose round completed (a joiner in its
/// first round).
/// </summary>
internal static class Readiness
{
    /// <param name="status">The cluster's status.</param>
    /// <param name="processor">This silo's processor, or null where silos are not processors (then membership is not asked).</param>
    /// <param name="deadlines">The step and round deadlines (Resync:Deadlines).</param>
    public static ReadinessVerdict Assess(ResyncStatus status, string? processor, (TimeSpan Step, TimeSpan Round) deadlines)
    {
        var configuration = status.Configuration;
        if (status.ServiceFailures.FirstOrDefault(f => f.Failing) is { } failing)
        {
            return new(HealthStatus.Unhealthy, $"service {failing.Service} is failing ({failing.Failures} failed rounds): {failing.LastError}");
        }

        if (processor is not null && !configuration.Members.Contains(processor))
        {
            return new(HealthStatus.Unhealthy, $"this silo's processor {processor} is not a member of epoch {configuration.Epoch}");
        }

        var completed = status.LastCompleted;
        if (completed?.Epoch == configuration.Epoch)
        {
            return new(HealthStatus.Healthy, $"epoch {configuration.Epoch} completed its round with {configuration.Members.Length} members");
        }

        if (completed is null || (processor is not null && !completed.Members.Contains(processor)))
        {
            var since = completed is null ? "no round has completed yet" : $"the last completed round is epoch {completed.Epoch}'s";
            return new(HealthStatus.Unhealthy, $"not yet a member of a configuration whose round completed ({since}); epoch {configuration.Epoch}: {Progress(status.Round, deadlines)}");
        }

        return new(HealthStatus.Degraded, $"epoch {completed.Epoch} completed; epoch {configuration.Epoch}: {Progress(status.Round, deadlines)}");
    }

    private static string Progress(RoundProgress? round, (TimeSpan Step, TimeSpan Round) deadlines) => round switch
    {
        { InFlight: true } => $"round in flight at {(round.Service is { } service ? $"step {round.Step} ({service})" : "entering")}, {round.Phase}"
            + (round.Pending.IsEmpty ? "" : $", waiting for {string.Join(" ", round.Pending)}")
            + (round.PhaseElapsed > deadlines.Step ? $"; past the step deadline of {deadlines.Step.TotalSeconds:0.###} s ({round.PhaseElapsed.TotalSeconds:0.###} s in this phase)" : "")
            + (round.Elapsed > deadlines.Round ? $"; past the round deadline of {deadlines.Round.TotalSeconds:0.###} s" : ""),
        { Phase: RoundPhase.Aborted } => $"round of epoch {round.Epoch} aborted ({round.AbortReason}); the next round follows",
        _ => "its round has not started (changes are settling, or a failed round's retry is pending)",
    };
}

/// <summary>A readiness decision and why.</summary>
internal sealed record ReadinessVerdict(HealthStatus Status, string Reason);
