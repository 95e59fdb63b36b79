using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Resync.Operations.Health;

/// <summary>
/// Whether a silo is ready, decided from the cluster's status: healthy when its processor is a member of a
/// configuration whose round completed and no service is failing; degraded while a round is in flight (and says
/// when the round is past its step deadline) or after a round aborted, until its successor runs; unhealthy when the
/// processor is not a member, a service is failing, or no round of the configuration has completed.
/// </summary>
internal static class Readiness
{
    /// <param name="status">The cluster's status.</param>
    /// <param name="processor">This silo's processor, or null where silos are not processors (then membership is not asked).</param>
    /// <param name="stepDeadline">How long a step may run (Resync:Deadlines:Step).</param>
    public static ReadinessVerdict Assess(ResyncStatus status, string? processor, TimeSpan stepDeadline)
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

        switch (status.Round)
        {
            case { Phase: not (RoundPhase.Completed or RoundPhase.Aborted) } round:
                var waiting = round.Pending.IsEmpty ? "" : $", waiting for {string.Join(" ", round.Pending)}";
                var overdue = round.SinceActivity > stepDeadline
                    ? $"; past the step deadline of {stepDeadline.TotalSeconds:0.###} s ({round.SinceActivity.TotalSeconds:0.###} s without progress)"
                    : "";
                return new(HealthStatus.Degraded, $"round of epoch {round.Epoch} in flight: {Where(round)}, {round.Phase}{waiting}{overdue}");
            case { Phase: RoundPhase.Completed } round when round.Epoch == configuration.Epoch:
                return new(HealthStatus.Healthy, $"epoch {configuration.Epoch} completed its round with {configuration.Members.Length} members");
            case { Phase: RoundPhase.Aborted } round:
                return new(HealthStatus.Degraded, $"round of epoch {round.Epoch} aborted ({round.AbortReason}); the next round follows");
            default:
                return new(HealthStatus.Unhealthy, $"no round of epoch {configuration.Epoch} has completed");
        }
    }

    private static string Where(RoundProgress round) => round.Service is { } service ? $"step {round.Step} ({service})" : "entering";
}

/// <summary>A readiness decision and why.</summary>
internal sealed record ReadinessVerdict(HealthStatus Status, string Reason);
