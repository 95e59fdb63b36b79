using Microsoft.Extensions.Diagnostics.HealthChecks;
using Resync.Operations.Health;

namespace Resync.Tests.Operations;

/// <summary>Each state of /health/ready, decided from a status alone.</summary>
public sealed class ReadinessTests
{
    private static readonly (TimeSpan Step, TimeSpan Round) Deadlines = (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60));
    private static readonly Configuration Epoch4 = new(4, ["p1", "silo:a"], ["p1"]);
    private static readonly Configuration Epoch5 = new(5, ["p1", "silo:a", "silo:b"], ["p1", "silo:a"]);

    private static ResyncStatus Status(Configuration current, Configuration? completed, RoundProgress? round, params ServiceHealth[] failures) =>
        new(current, round, DropCounts.None, ["clm", "evt"], [.. failures]) { LastCompleted = completed };

    private static RoundProgress Round(long epoch, RoundPhase phase, TimeSpan phaseElapsed = default, TimeSpan elapsed = default, string? abortReason = null) =>
        new(epoch, phase, 1, "evt", phase is RoundPhase.Completed or RoundPhase.Aborted ? [] : ["silo:b"], [], DateTimeOffset.UnixEpoch, elapsed, abortReason)
        {
            PhaseElapsed = phaseElapsed,
        };

    [Fact]
    public void A_member_of_the_current_configuration_whose_round_completed_is_ready()
    {
        var verdict = Readiness.Assess(Status(Epoch4, Epoch4, Round(4, RoundPhase.Completed)), "silo:a", Deadlines);
        Assert.Equal(HealthStatus.Healthy, verdict.Status);
        Assert.Equal("epoch 4 completed its round with 2 members", verdict.Reason);
    }

    [Fact]
    public void A_silo_without_a_processor_is_ready_once_the_round_completed()
    {
        Assert.Equal(HealthStatus.Healthy, Readiness.Assess(Status(Epoch4, Epoch4, Round(4, RoundPhase.Completed)), processor: null, Deadlines).Status);
    }

    [Fact]
    public void A_round_in_flight_degrades_a_member_of_the_completed_configuration_and_names_whom_it_waits_for()
    {
        var verdict = Readiness.Assess(Status(Epoch5, Epoch4, Round(5, RoundPhase.Processing)), "silo:a", Deadlines);
        Assert.Equal(HealthStatus.Degraded, verdict.Status);
        Assert.Equal("epoch 4 completed; epoch 5: round in flight at step 1 (evt), Processing, waiting for silo:b", verdict.Reason);
    }

    [Fact]
    public void A_round_past_its_step_or_round_deadline_says_so()
    {
        var step = Readiness.Assess(Status(Epoch5, Epoch4, Round(5, RoundPhase.Barrier, phaseElapsed: TimeSpan.FromSeconds(7))), "silo:a", Deadlines);
        Assert.Equal(HealthStatus.Degraded, step.Status);
        Assert.Contains("past the step deadline of 5 s (7 s in this phase)", step.Reason);
        var round = Readiness.Assess(Status(Epoch5, Epoch4, Round(5, RoundPhase.Processing, elapsed: TimeSpan.FromSeconds(61))), "silo:a", Deadlines);
        Assert.Contains("past the round deadline of 60 s", round.Reason);
    }

    [Fact]
    public void Between_rounds_settling_or_awaiting_a_retry_a_member_of_the_completed_configuration_stays_degraded_not_unready()
    {
        var settling = Readiness.Assess(Status(Epoch5, Epoch4, round: null), "silo:a", Deadlines);
        Assert.Equal(HealthStatus.Degraded, settling.Status);
        Assert.Contains("has not started", settling.Reason);
        var aborted = Readiness.Assess(Status(Epoch5, Epoch4, Round(5, RoundPhase.Aborted, abortReason: "step 1 (evt) failed")), "silo:a", Deadlines);
        Assert.Equal(HealthStatus.Degraded, aborted.Status);
        Assert.Contains("step 1 (evt) failed", aborted.Reason);
    }

    [Fact]
    public void A_joiner_is_not_ready_until_a_configuration_it_is_in_completed_its_round()
    {
        var verdict = Readiness.Assess(Status(Epoch5, Epoch4, Round(5, RoundPhase.Processing)), "silo:b", Deadlines);
        Assert.Equal(HealthStatus.Unhealthy, verdict.Status);
        Assert.StartsWith("not yet a member of a configuration whose round completed (the last completed round is epoch 4's)", verdict.Reason);
        Assert.Equal(HealthStatus.Healthy, Readiness.Assess(Status(Epoch5, Epoch5, Round(5, RoundPhase.Completed)), "silo:b", Deadlines).Status);
    }

    [Fact]
    public void A_silo_whose_processor_is_not_a_member_is_not_ready()
    {
        var verdict = Readiness.Assess(Status(Epoch4, Epoch4, Round(4, RoundPhase.Completed)), "silo:b", Deadlines);
        Assert.Equal(HealthStatus.Unhealthy, verdict.Status);
        Assert.Equal("this silo's processor silo:b is not a member of epoch 4", verdict.Reason);
    }

    [Fact]
    public void A_failing_service_makes_every_silo_unready()
    {
        var verdict = Readiness.Assess(Status(Epoch4, Epoch4, Round(4, RoundPhase.Completed), new ServiceHealth("evt", 3, "epoch 4: boom", Failing: true)), "silo:a", Deadlines);
        Assert.Equal(HealthStatus.Unhealthy, verdict.Status);
        Assert.Equal("service evt is failing (3 failed rounds): epoch 4: boom", verdict.Reason);
    }

    [Fact]
    public void A_service_that_failed_but_recovered_does_not()
    {
        Assert.Equal(HealthStatus.Healthy, Readiness.Assess(Status(Epoch4, Epoch4, Round(4, RoundPhase.Completed), new ServiceHealth("evt", 1, "old", Failing: false)), "silo:a", Deadlines).Status);
    }

    [Fact]
    public void Before_any_round_completed_the_silo_is_not_ready()
    {
        var verdict = Readiness.Assess(Status(Epoch4, completed: null, Round(4, RoundPhase.Processing)), "silo:a", Deadlines);
        Assert.Equal(HealthStatus.Unhealthy, verdict.Status);
        Assert.Contains("no round has completed yet", verdict.Reason);
    }
}
