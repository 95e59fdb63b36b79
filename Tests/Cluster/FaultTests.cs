using Orleans.Core.Internal;
using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Cluster;

[CollectionDefinition(Name)]
public sealed class ShortDeadlineCollection : ICollectionFixture<ShortDeadlineClusterFixture>
{
    public const string Name = "short deadlines";
}

[CollectionDefinition(Name)]
public sealed class ControlledClockCollection : ICollectionFixture<ControlledClockClusterFixture>
{
    public const string Name = "controlled clock";
}

/// <summary>
/// Faults that must not wedge the engine (issue 6), each on its own, on a cluster with short deadlines
/// (400 ms per step, 2 s per round, a 2.5 s stall watchdog, eviction of slow processors) whose engine clock
/// moves only when the test advances it: a deadline passes when the test says so, never before.
/// </summary>
[Collection(ControlledClockCollection.Name)]
public sealed class FaultTests(ControlledClockClusterFixture fixture, ITestOutputHelper output) : ClusterTest(fixture)
{
    /// <summary>
    /// Moves the engine's clock by <see cref="EngineClock.TickLength"/> after every status that does not satisfy
    /// <paramref name="condition"/>; returns the one that does and how far the clock moved.
    /// </summary>
    private async Task<(ResyncStatus Status, TimeSpan Moved)> AdvanceUntil(Func<ResyncStatus, bool> condition, string phase)
    {
        var moved = TimeSpan.Zero;
        var status = await Driver.WaitForStatus(condition, $"{phase}, moving the engine clock {EngineClock.TickLength.TotalMilliseconds} ms per poll", () =>
        {
            EngineClock.Tick();
            moved += EngineClock.TickLength;
        });
        return (status, moved);
    }

    [Fact]
    public async Task A_change_while_a_round_is_in_flight_waits_for_the_clock_and_a_reset_moves_it()
    {
        var hold = ConformanceControl.HoldAt("init", "conf-a", "p1");
        var first = (await Driver.Join("p1")).Configuration;
        await ResyncDriver.Reached(hold, "p1 in init of conf-a");
        var second = (await Driver.Join("p2")).Configuration;
        hold.Release();

        // The second change came while the first round was in flight: a burst, whose round waits for the settle time on the still clock.
        await Driver.WaitForEnded(first.Epoch);
        Assert.NotEqual(second.Epoch, (await Driver.Status()).Round?.Epoch);

        // As a test that ended here would leave it for the next one's reset.
        await Driver.Reset();
        var reset = await Driver.Status();
        Assert.Empty(reset.Configuration.Members);
        Assert.Equal(RoundPhase.Completed, reset.Round?.Phase);
        Assert.Equal(reset.Configuration.Epoch, reset.Round?.Epoch);
    }

    [Fact]
    public async Task A_processor_that_misses_a_step_deadline_is_evicted_the_round_completes_without_it_and_it_may_rejoin()
    {
        var hold = ConformanceControl.HoldAt("process", "conf-b", "p2");
        var slow = (await Driver.Join("p1", "p2", "p3")).Configuration;
        await ResyncDriver.Reached(hold, "p2 processing conf-b");
        Assert.True((await Driver.Status()).Configuration.IsMember("p2"), "p2 was evicted before the engine's clock moved");

        var (without, moved) = await AdvanceUntil(s => s.Configuration.Epoch > slow.Epoch && !s.Configuration.IsMember("p2"), "eviction of p2 at the step deadline");
        Assert.True(moved >= TimeSpan.FromMilliseconds(400), $"p2 was evicted after {moved.TotalMilliseconds} ms of engine time, before the 400 ms step deadline");
        await Driver.WaitForRound(without.Configuration.Epoch);
        Assert.Equal(["p1", "p3"], without.Configuration.Members.ToArray());
        var history = await Driver.Configuration.GetHistory();
        Assert.Contains(history, r => r.Epoch == slow.Epoch && r.Outcome == RoundPhase.Aborted && r.AbortReason!.Contains("evicted p2"));

        // The evicted processor finishes late: its answer is for a superseded epoch and changes nothing.
        hold.Release();
        var back = (await Driver.Join("p2")).Configuration;
        await Driver.WaitForRound(back.Epoch);
        await Driver.AssertConverged(back);
    }

    [Fact]
    public async Task A_replica_whose_callback_ignores_its_abort_is_evicted_while_the_cluster_answers_and_its_abort_runs_only_after_the_callback_returned()
    {
        var mark = ConformanceJournal.Mark();
        var hold = ConformanceControl.HoldAt("process", "conf-b", "p2", stubborn: true);
        var slow = (await Driver.Join("p1", "p2", "p3")).Configuration;
        await ResyncDriver.Reached(hold, "p2 processing conf-b");

        // Every status poll is a call bounded by a short timeout: the configuration answers throughout the eviction.
        var (without, _) = await AdvanceUntil(s => s.Configuration.Epoch > slow.Epoch && !s.Configuration.IsMember("p2"), "eviction of p2, whose callback hangs");
        await Driver.WaitForRound(without.Configuration.Epoch);
        var stillRunning = ConformanceJournal.Since(mark).Where(e => e.Processor == "p2" && e.Service == "conf-b" && e.Epoch == slow.Epoch).ToList();
        Assert.DoesNotContain(stillRunning, e => e.Callback == "abort");

        hold.Release();
        await ResyncDriver.Until(
            () => Task.FromResult(ConformanceJournal.Since(mark)),
            log => log.Any(e => e.Processor == "p2" && e.Service == "conf-b" && e.Epoch == slow.Epoch && e.Callback == "abort"),
            _ => $"the abort of epoch {slow.Epoch} on conf-b@p2 after its hung process returned");
        Assert.Empty(ConformanceJournal.Overlaps);
        var back = (await Driver.Join("p2")).Configuration;
        await Driver.WaitForRound(back.Epoch);
        await Driver.AssertConverged(back);
    }

    [Fact]
    public async Task A_callback_that_never_returns_on_every_member_fails_the_round_at_its_deadline_and_the_retry_completes()
    {
        var hold = ConformanceControl.HoldAt("process", "conf-c");
        var stuck = (await Driver.Join("p1", "p2")).Configuration;
        await ResyncDriver.Reached(hold, "conf-c processing everywhere");

        var (_, moved) = await AdvanceUntil(s => s.Configuration.Epoch > stuck.Epoch, "the retry after the round deadline");
        Assert.True(moved >= TimeSpan.FromSeconds(2), $"the stuck round ended after {moved.TotalMilliseconds} ms of engine time, before the 2 s round deadline");
        var failed = await Driver.WaitForEnded(stuck.Epoch);
        Assert.True(failed.Failed, $"epoch {stuck.Epoch} ended {failed.Outcome}: {failed.AbortReason}");
        Assert.Equal("conf-c", failed.FailedService);
        Assert.Contains("round deadline", failed.AbortReason);
        Assert.Equal(stuck.Members.ToArray(), (await Driver.Configuration.GetConfiguration()).Members.ToArray());

        hold.Release();
        var completed = await Driver.WaitForRound(stuck.Epoch + 1);
        await Driver.AssertConverged(await Driver.Configuration.GetConfiguration());
        output.WriteLine($"stuck epoch {stuck.Epoch} failed after {failed.Duration.TotalMilliseconds:F0} ms; epoch {completed.Epoch} completed");
    }

    [Fact]
    public async Task A_service_that_keeps_throwing_is_reported_failing_with_its_error_while_the_others_keep_their_state_until_it_recovers()
    {
        var healthy = (await Driver.Join("p1", "p2")).Configuration;
        await Driver.WaitForRound(healthy.Epoch);

        ConformanceControl.Behaviour = new ConformanceBehaviour(ThrowIn: "process", ThrowService: "conf-b");
        var change = (await Driver.Join("p3")).Configuration;
        var failing = await Driver.WaitForStatus(s => s.ServiceFailures.Any(f => f.Service == "conf-b" && f.Failing), "conf-b reported failing");
        var health = failing.ServiceFailures.Single(f => f.Service == "conf-b");
        Assert.True(health.Failures >= 3, $"{health.Failures} failures");
        Assert.Contains("conformance service told to throw in process", health.LastError);
        Assert.Contains("on processor p", health.LastError);
        Assert.Matches(@"^epoch \d+: step 1 \(conf-b\) failed", health.LastError);
        Assert.DoesNotContain(failing.ServiceFailures, f => f.Service != "conf-b");

        // conf-c never synchronized in the failing rounds: p1 and p2 still serve the state of the last completed round.
        Assert.Equal(healthy.Members.ToArray(), (await Driver.Replica("conf-c", "p1").GetState()).Members.ToArray());

        ConformanceControl.Behaviour = ConformanceBehaviour.Default;
        var recovered = await Driver.WaitForStatus(s => s.ServiceFailures.IsEmpty && s.Round?.Phase == RoundPhase.Completed, "conf-b recovered");
        Assert.Equal(["p1", "p2", "p3"], recovered.Configuration.Members.ToArray());
        Assert.True(recovered.Configuration.Epoch > change.Epoch);
        await Driver.AssertConverged(recovered.Configuration);
    }

    [Fact]
    public async Task A_silo_that_stops_takes_the_replicas_of_the_logical_processors_it_hosted_and_a_new_epoch_with_the_same_members_rebuilds_them()
    {
        var before = (await Driver.Join("h1", "h2", "h3", "h4", "h5", "h6")).Configuration;
        await Driver.WaitForRound(before.Epoch);

        await Cluster.StopSiloAsync(Cluster.SecondarySilos[^1]);
        try
        {
            // A stop renewed the epoch twice once in about ten full runs, likely when two watchers reported the departure
            // at different membership versions (which renews once since SiloAdmission.NewlyDeparted): should any other
            // renewal come, the replicas must agree on the last one, whichever it is.
            for (var attempt = 1; ; attempt++)
            {
                var (renewed, moved) = await AdvanceUntil(
                    s => s.Configuration.Epoch > before.Epoch && s.Round is { Phase: RoundPhase.Completed } round && round.Epoch == s.Configuration.Epoch,
                    "the round that rebuilds the replicas lost with the stopped silo");
                output.WriteLine($"settled at epoch {renewed.Configuration.Epoch} after {moved.TotalMilliseconds} ms of engine time; history: " +
                    string.Join("; ", (await Driver.Configuration.GetHistory()).Where(r => r.Epoch > before.Epoch).Select(r => $"{r.Epoch} {r.Outcome} {r.AbortReason}")));
                Assert.Equal(before.Members.ToArray(), renewed.Configuration.Members.ToArray());
                try
                {
                    await Driver.AssertConverged(renewed.Configuration);
                    break;
                }
                catch (Exception) when (attempt < 3)
                {
                    if ((await Driver.Configuration.GetConfiguration()).Epoch == renewed.Configuration.Epoch)
                    {
                        throw;
                    }

                    output.WriteLine($"epoch {renewed.Configuration.Epoch} was renewed again while its replicas were checked");
                }
            }
        }
        finally
        {
            await Cluster.StartAdditionalSiloAsync();
        }
    }

    [Fact]
    public async Task A_round_whose_sequencer_activation_is_lost_is_renewed_under_a_new_epoch_with_the_same_members()
    {
        var hold = ConformanceControl.HoldAt("init", "conf-a", "p1");
        var lost = (await Driver.Join("p1", "p2")).Configuration;
        await ResyncDriver.Reached(hold, "p1 in init of conf-a");

        await Grains.GetGrain<ISequencerGrain>(lost.Epoch).Cast<IGrainManagementExtension>().DeactivateOnIdle();
        hold.Release();

        var (renewed, _) = await AdvanceUntil(s => s.Configuration.Epoch > lost.Epoch, "the watchdog renewing the lost round");
        Assert.Equal(lost.Members.ToArray(), renewed.Configuration.Members.ToArray());
        await Driver.WaitForRound(renewed.Configuration.Epoch);
        await Driver.AssertConverged(await Driver.Configuration.GetConfiguration());
    }

    [Fact]
    public async Task A_burst_of_100_changes_costs_a_few_rounds_and_ends_in_the_last_configuration()
    {
        var start = (await Driver.Join("p1")).Configuration;
        await Driver.WaitForRound(start.Epoch);

        Configuration last = start;
        for (var change = 0; change < 100; change++)
        {
            var name = $"q{change / 2}";
            last = (change % 2 == 0 ? await Driver.Join(name) : await Driver.Leave(name)).Configuration;
        }

        // The last round starts once the changes have stopped for the settle time, on the engine's clock, which only this test moves.
        Assert.NotEqual(last.Epoch, (await Driver.Status()).Round?.Epoch);
        await AdvanceUntil(s => s.Round?.Epoch == last.Epoch, $"the start of epoch {last.Epoch}'s round once the burst settled");
        await Driver.WaitForRound(last.Epoch);
        var rounds = (await Driver.Configuration.GetHistory()).Where(r => r.Epoch > start.Epoch).ToList();
        output.WriteLine($"100 changes (epochs {start.Epoch + 1}..{last.Epoch}): {rounds.Count} rounds started, {rounds.Count(r => r.Outcome == RoundPhase.Aborted)} aborted");
        Assert.Equal(100, last.Epoch - start.Epoch);
        Assert.True(rounds.Count <= 10, $"{rounds.Count} rounds for a burst of 100 changes");
        Assert.Contains(rounds, r => r.Epoch == last.Epoch && r.Outcome == RoundPhase.Completed);
        await Driver.AssertConverged(last);
    }
}
