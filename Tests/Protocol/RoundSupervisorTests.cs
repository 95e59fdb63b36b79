using Microsoft.Extensions.Time.Testing;
using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class RoundSupervisorTests
{
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan MaxRetryPause = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _time = new();

    private RoundSupervisor Supervisor(TimeSpan? settle = null) =>
        new(historyLength: 10, serviceFailureThreshold: 2, Stall, settle ?? TimeSpan.Zero, TimeSpan.FromMilliseconds(100), MaxRetryPause, _time);

    private static RoundSummary Ended(long epoch, RoundPhase outcome, bool failed = false, string? service = null) =>
        new(epoch, outcome, 3, [new StepTiming(0, "svc", TimeSpan.Zero, TimeSpan.Zero, 1)], TimeSpan.Zero, failed ? "it failed" : null, failed, service);

    [Fact]
    public void A_quiet_clusters_round_is_due_once_the_current_round_completed_that_long_ago_and_nothing_else_is_pending()
    {
        var quiet = TimeSpan.FromMinutes(10);
        var supervisor = Supervisor();
        supervisor.Starting(1, bySettle: false);
        Assert.False(supervisor.QuietRoundDue(1, quiet), "a round in flight");
        supervisor.Ended(Ended(1, RoundPhase.Completed) with { EndedAt = _time.GetUtcNow() }, currentEpoch: 1, completedEpoch: 0);

        _time.Advance(quiet - TimeSpan.FromSeconds(1));
        Assert.False(supervisor.QuietRoundDue(1, quiet));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(supervisor.QuietRoundDue(1, quiet));
        Assert.False(supervisor.QuietRoundDue(1, TimeSpan.Zero), "zero turns it off");
        Assert.False(supervisor.QuietRoundDue(2, quiet), "a newer configuration's round is what is expected");

        supervisor.Starting(2, bySettle: false);
        supervisor.Ended(Ended(2, RoundPhase.Aborted, failed: true) with { EndedAt = _time.GetUtcNow() }, currentEpoch: 2, completedEpoch: 1);
        _time.Advance(quiet * 2);
        Assert.False(supervisor.QuietRoundDue(2, quiet), "a failed round awaits its retry, not a quiet round");
    }

    [Fact]
    public void A_new_configuration_supersedes_the_round_in_flight_once_and_never_one_that_ended()
    {
        var supervisor = Supervisor();
        Assert.Null(supervisor.Advanced().Supersedes);
        supervisor.Starting(1, bySettle: false);

        Assert.Equal(1, supervisor.Advanced().Supersedes);
        Assert.Null(supervisor.Advanced().Supersedes);
        supervisor.Starting(2, bySettle: false);
        supervisor.Ended(Ended(2, RoundPhase.Completed), currentEpoch: 2, completedEpoch: 1);

        Assert.Null(supervisor.Advanced().Supersedes);
    }

    [Fact]
    public void After_a_restart_the_persisted_epoch_counts_as_in_flight()
    {
        var supervisor = Supervisor();
        supervisor.Resume(7);

        Assert.Equal(7, supervisor.Advanced().Supersedes);
    }

    [Fact]
    public void Changes_in_a_burst_defer_the_start_until_the_burst_settles()
    {
        var supervisor = Supervisor(settle: TimeSpan.FromMilliseconds(1));
        Assert.Null(supervisor.Advanced().DeferFor);
        supervisor.Starting(1, bySettle: false);
        supervisor.AdvanceHandled();

        var advance = supervisor.Advanced();
        Assert.NotNull(advance.DeferFor);
        Assert.True(supervisor.Deferring, "a change while a round is in flight, right after the previous one, should defer the start");
        supervisor.AdvanceHandled();
        supervisor.Starting(2, bySettle: true);
        Assert.False(supervisor.Deferring);
    }

    [Fact]
    public void A_failed_round_of_the_current_epoch_is_retried_after_a_pause_that_doubles_up_to_the_maximum_and_resets_on_completion()
    {
        var supervisor = Supervisor();
        var pauses = new List<TimeSpan>();
        for (var epoch = 1; epoch <= 6; epoch++)
        {
            var end = supervisor.Ended(Ended(epoch, RoundPhase.Aborted, failed: true), currentEpoch: epoch, completedEpoch: 0);
            pauses.Add(end.RetryAfter ?? throw new Xunit.Sdk.XunitException($"epoch {epoch}: a failed round of the current epoch should be retried"));
            Assert.Equal(epoch, end.Attempt);
            Assert.True(supervisor.RetryDue(epoch));
        }

        Assert.Equal([50, 100, 200, 400, 800, 1000], pauses.Select(p => p.TotalMilliseconds));
        supervisor.Ended(Ended(7, RoundPhase.Completed), currentEpoch: 7, completedEpoch: 0);
        Assert.Equal(50, supervisor.Ended(Ended(8, RoundPhase.Aborted, failed: true), 8, 7).RetryAfter!.Value.TotalMilliseconds);
    }

    [Fact]
    public void A_failed_round_of_an_older_epoch_is_not_retried_and_a_retry_is_dropped_when_another_change_came_first()
    {
        var supervisor = Supervisor();
        Assert.Null(supervisor.Ended(Ended(3, RoundPhase.Aborted, failed: true), currentEpoch: 4, completedEpoch: 0).RetryAfter);

        Assert.NotNull(supervisor.Ended(Ended(4, RoundPhase.Aborted, failed: true), currentEpoch: 4, completedEpoch: 0).RetryAfter);
        Assert.False(supervisor.Watches(4), "the watchdog should leave a round alone while its retry is pending");
        Assert.False(supervisor.RetryDue(5));
        Assert.True(supervisor.Watches(5));
    }

    [Fact]
    public void A_service_is_failing_at_the_threshold_and_recovered_by_a_completed_round_and_a_cluster_failure_is_no_service_failure()
    {
        var supervisor = Supervisor();
        Assert.Null(supervisor.Ended(Ended(1, RoundPhase.Aborted, failed: true), 1, 0).NewlyFailing);
        Assert.Null(supervisor.Ended(Ended(2, RoundPhase.Aborted, failed: true, service: "ckpt"), 2, 0).NewlyFailing);
        Assert.Equal("ckpt", supervisor.Ended(Ended(3, RoundPhase.Aborted, failed: true, service: "ckpt"), 3, 0).NewlyFailing);
        Assert.True(supervisor.ServiceHealth.Single().Failing);

        var completed = supervisor.Ended(Ended(4, RoundPhase.Completed), 4, 0);
        Assert.Equal(["ckpt"], completed.Recovered.ToArray());
        Assert.Empty(supervisor.ServiceHealth);
    }

    [Fact]
    public void Only_the_first_completion_of_the_current_epoch_is_persisted_and_warms_the_next()
    {
        var supervisor = Supervisor();
        var current = supervisor.Ended(Ended(5, RoundPhase.Completed), currentEpoch: 5, completedEpoch: 4);
        Assert.True(current.PersistCompleted);
        Assert.True(current.WarmNext);

        Assert.False(supervisor.Ended(Ended(5, RoundPhase.Completed), 5, 5).PersistCompleted);
        var older = supervisor.Ended(Ended(4, RoundPhase.Completed), currentEpoch: 5, completedEpoch: 5);
        Assert.False(older.PersistCompleted);
        Assert.False(older.WarmNext);
    }

    [Fact]
    public void The_watchdog_looks_only_at_a_round_that_is_expected_and_renews_one_lost_at_two_looks_in_a_row()
    {
        var supervisor = Supervisor();
        Assert.False(supervisor.Watches(0), "epoch 0 has no round");
        Assert.True(supervisor.Watches(1));

        // A look every quarter of the stall time: four unanswered looks are a whole stall time, and the verdict must hold twice.
        for (var look = 1; look <= 5; look++)
        {
            Assert.False(supervisor.Stalled(1, null, answered: false), $"look {look} at an unreachable sequencer should not renew yet");
        }

        Assert.True(supervisor.Stalled(1, null, answered: false), "a sequencer unreachable for a whole stall time, at two looks in a row, should renew");

        supervisor.Ended(Ended(1, RoundPhase.Completed), 1, 0);
        Assert.False(supervisor.Watches(1), "a completed round is never renewed");
        Assert.NotNull(supervisor.Completed(1));
        Assert.Null(supervisor.Completed(2));
    }

    [Fact]
    public void A_round_summary_carries_why_its_epoch_was_made_and_a_completed_round_says_when_it_started()
    {
        var supervisor = Supervisor();
        supervisor.Caused(new Configuration(4, ["p1"], []), "join");
        var ended = new RoundSummary(4, RoundPhase.Completed, 3, [], TimeSpan.FromMilliseconds(5), null, EndedAt: new DateTimeOffset(2026, 12, 6, 4, 0, 0, TimeSpan.Zero));

        supervisor.Ended(ended, currentEpoch: 4, completedEpoch: 3);

        Assert.Equal("join", supervisor.History.Rounds.Single().Cause);
        Assert.Equal(ended.EndedAt - ended.Duration, supervisor.Completed(4)!.StartedAt);
        Assert.Equal(["p1"], supervisor.LastCompleted!.Members.ToArray());
    }

    [Fact]
    public void The_last_completed_configuration_is_the_newest_whose_round_completed_not_one_that_aborted()
    {
        var supervisor = Supervisor();
        supervisor.Caused(new Configuration(4, ["p1"], []), "join");
        supervisor.Caused(new Configuration(5, ["p1", "p2"], ["p1"]), "join");
        supervisor.Ended(new RoundSummary(4, RoundPhase.Aborted, 1, [], TimeSpan.FromMilliseconds(1), "superseded"), currentEpoch: 5, completedEpoch: 3);
        Assert.Null(supervisor.LastCompleted);

        supervisor.Ended(new RoundSummary(5, RoundPhase.Completed, 2, [], TimeSpan.FromMilliseconds(2), null), currentEpoch: 5, completedEpoch: 3);
        Assert.Equal(5, supervisor.LastCompleted!.Epoch);
    }
}
