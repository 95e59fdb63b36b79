using Microsoft.Extensions.Diagnostics.HealthChecks;
using Resync.Operations.Health;

namespace Resync.Tests.Operations;

/// <summary>Each state of /health/ready, decided from a status alone.</summary>
public sealed class ReadinessTests
{
    private static readonly TimeSpan StepDeadline = TimeSpan.FromSeconds(5);
    private static readonly Configuration Epoch4 = new(4, ["p1", "silo:a"], ["p1"]);

    private static ResyncStatus Status(RoundProgress? round, params ServiceHealth[] failures) =>
        new(Epoch4, round, DropCounts.None, ["clm", "evt"], [.. failures]);

    private static RoundProgress Round(long epoch, RoundPhase phase, TimeSpan sinceActivity = default, string? abortReason = null) =>
        new(epoch, phase, 1, "evt", phase is RoundPhase.Completed or RoundPhase.Aborted ? [] : ["p1"], [], DateTimeOffset.UnixEpoch, TimeSpan.FromMilliseconds(20), abortReason, sinceActivity);

    [Fact]
    public void A_member_of_a_configuration_whose_round_completed_is_ready()
    {
        var verdict = Readiness.Assess(Status(Round(4, RoundPhase.Completed)), "silo:a", StepDeadline);
        Assert.Equal(HealthStatus.Healthy, verdict.Status);
        Assert.Contains("epoch 4 completed", verdict.Reason);
    }

    [Fact]
    public void A_silo_without_a_processor_is_ready_once_the_round_completed()
    {
        Assert.Equal(HealthStatus.Healthy, Readiness.Assess(Status(Round(4, RoundPhase.Completed)), processor: null, StepDeadline).Status);
    }

    [Fact]
    public void A_round_in_flight_degrades_readiness_and_names_whom_it_waits_for()
    {
        var verdict = Readiness.Assess(Status(Round(5, RoundPhase.Processing)), "silo:a", StepDeadline);
        Assert.Equal(HealthStatus.Degraded, verdict.Status);
        Assert.Equal("round of epoch 5 in flight: step 1 (evt), Processing, waiting for p1", verdict.Reason);
    }

    [Fact]
    public void A_round_past_its_step_deadline_says_so()
    {
        var verdict = Readiness.Assess(Status(Round(5, RoundPhase.Barrier, sinceActivity: TimeSpan.FromSeconds(7))), "silo:a", StepDeadline);
        Assert.Equal(HealthStatus.Degraded, verdict.Status);
        Assert.Contains("past the step deadline of 5 s (7 s without progress)", verdict.Reason);
    }

    [Fact]
    public void An_aborted_round_without_a_successor_yet_degrades_readiness_with_its_reason()
    {
        var verdict = Readiness.Assess(Status(Round(4, RoundPhase.Aborted, abortReason: "step 1 (evt) failed")), "silo:a", StepDeadline);
        Assert.Equal(HealthStatus.Degraded, verdict.Status);
        Assert.Contains("step 1 (evt) failed", verdict.Reason);
    }

    [Fact]
    public void A_silo_whose_processor_is_not_a_member_is_not_ready()
    {
        var verdict = Readiness.Assess(Status(Round(4, RoundPhase.Completed)), "silo:b", StepDeadline);
        Assert.Equal(HealthStatus.Unhealthy, verdict.Status);
        Assert.Equal("this silo's processor silo:b is not a member of epoch 4", verdict.Reason);
    }

    [Fact]
    public void A_failing_service_makes_every_silo_unready()
    {
        var verdict = Readiness.Assess(Status(Round(4, RoundPhase.Completed), new ServiceHealth("evt", 3, "epoch 4: boom", Failing: true)), "silo:a", StepDeadline);
        Assert.Equal(HealthStatus.Unhealthy, verdict.Status);
        Assert.Equal("service evt is failing (3 failed rounds): epoch 4: boom", verdict.Reason);
    }

    [Fact]
    public void A_service_that_failed_but_recovered_does_not()
    {
        Assert.Equal(HealthStatus.Healthy, Readiness.Assess(Status(Round(4, RoundPhase.Completed), new ServiceHealth("evt", 1, "old", Failing: false)), "silo:a", StepDeadline).Status);
    }

    [Fact]
    public void Before_any_round_of_the_configuration_completed_the_silo_is_not_ready()
    {
        Assert.Equal(HealthStatus.Unhealthy, Readiness.Assess(Status(round: null), "silo:a", StepDeadline).Status);
        var older = Readiness.Assess(Status(Round(3, RoundPhase.Completed)), "silo:a", StepDeadline);
        Assert.Equal(HealthStatus.Unhealthy, older.Status);
        Assert.Equal("no round of epoch 4 has completed", older.Reason);
    }
}
