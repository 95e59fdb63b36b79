using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Cluster;

/// <summary>
/// The defects an outside conformance suite found in the round (duplicates that closed writes, a complete round
/// reported aborted, waits on members that were gone), each proven absent on a running cluster.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RoundDefectTests(ResyncClusterFixture fixture, ITestOutputHelper output) : ClusterTest(fixture)
{
    [Fact]
    public async Task Repeats_of_a_completed_rounds_notices_and_runs_are_counted_duplicates_and_never_close_an_activated_replicas_writes()
    {
        var settled = (await Driver.Join("p1", "p2")).Configuration;
        await Driver.WaitForRound(settled.Epoch);
        var before = (await Driver.Status()).Dropped;
        var last = new RoundStep(settled, ResyncTestSilo.Services.Length - 1, ResyncTestSilo.Services[^1]) { Services = ResyncTestSilo.Services };

        // As the sequencer's retry or a repeated message would bring them, after the final activation.
        var processor = Grains.GetGrain<IProcessorGrain>("p1");
        await processor.Step(last, Delivery.None);
        await processor.Finish(last, Delivery.None);
        await processor.Enter(settled, ResyncTestSilo.Services);
        var replay = await Grains.GetGrain<ISyncReplica>("p1", typeof(ConformanceC).FullName).Run(last);
        Assert.True(replay.Completed);
        Assert.Empty(replay.Sent);

        // No round is in flight: a write is admitted at once, at the epoch the replica activated.
        Assert.Equal(settled.Epoch, await Driver.Replica(last.Service, "p1").Write().WaitAsync(TimeSpan.FromSeconds(1)));
        await Driver.WaitForStatus(s => s.Dropped.Duplicate >= before.Duplicate + 3, "three duplicate notices counted");
        await Driver.AssertConverged(settled);
    }

    [Fact]
    public async Task A_round_past_its_last_barrier_is_completed_though_a_change_comes_during_its_last_activation()
    {
        var settled = (await Driver.Join("p1", "p2")).Configuration;
        await Driver.WaitForRound(settled.Epoch);
        var mark = ConformanceJournal.Mark();
        var hold = ConformanceControl.HoldAt("activate", "conf-c", "p1");
        var finishing = (await Driver.Join("p3")).Configuration;
        await ResyncDriver.Reached(hold, "p1 in its last activation");
        await Driver.WaitForStatus(s => s.Round is { Phase: RoundPhase.Activating } r && r.Epoch == finishing.Epoch && r.Pending.SequenceEqual(["p1"]), "the last activation waits for p1");

        var next = (await Driver.Join("p4")).Configuration;
        hold.Release();
        await Driver.WaitForRound(next.Epoch);

        var history = await Driver.Configuration.GetHistory();
        var completed = Assert.Single(history, r => r.Epoch == finishing.Epoch);
        Assert.Equal(RoundPhase.Completed, completed.Outcome);
        Assert.Null(completed.AbortReason);
        var log = ConformanceJournal.Since(mark);
        Assert.DoesNotContain(log, e => e.Epoch == finishing.Epoch && e.Callback == "abort");
        Assert.All(finishing.Members, member => Assert.Contains(log, e => e.Epoch == finishing.Epoch && e.Callback == "activate" && e.Service == "conf-c" && e.Processor == member));
        CallbackLogAssertions.AssertLegal(log, next, ResyncTestSilo.Services, output);
        Assert.DoesNotContain(history, r => r.AbortReason?.Contains("stalled") == true);
        await Driver.AssertConverged(next);
    }

    [Fact]
    public async Task When_a_member_held_in_its_round_fails_the_survivors_round_completes_without_waiting_for_it()
    {
        var settled = (await Driver.Join("p1", "p2")).Configuration;
        await Driver.WaitForRound(settled.Epoch);
        // A callback that never looks at its cancellation: the failed member cannot confirm anything while it runs.
        var hold = ConformanceControl.HoldAt("process", "conf-b", "p3", stubborn: true);
        var joining = (await Driver.Join("p3")).Configuration;
        await ResyncDriver.Reached(hold, "p3 processing conf-b");

        var survivors = (await Driver.Fail("p3")).Configuration;
        var summary = await Driver.WaitForRound(survivors.Epoch);

        // Completed while p3's callback is still held: nothing waited for p3's abort.
        Assert.True(hold.IsArmed);
        Assert.Equal(survivors.Epoch, summary.Epoch);
        output.WriteLine($"survivors' round of epoch {survivors.Epoch}: {summary.Duration.TotalMilliseconds:F1} ms, with p3 still held");
        hold.Release();
        Assert.Equal(RoundPhase.Aborted, (await Driver.Configuration.GetHistory()).Single(r => r.Epoch == joining.Epoch).Outcome);
        await Driver.AssertConverged(survivors);
        Assert.Empty(ConformanceJournal.Overlaps);
    }

    [Fact]
    public async Task A_last_activation_that_threw_is_answered_once_and_does_not_keep_its_processor_from_the_next_round()
    {
        ConformanceControl.Behaviour = ConformanceControl.Behaviour with { ThrowIn = "activate", ThrowService = "conf-c" };
        var throwing = (await Driver.Join("p1", "p2")).Configuration;
        var ended = await Driver.WaitForEnded(throwing.Epoch);
        output.WriteLine($"epoch {throwing.Epoch}, whose last activation threw everywhere: {ended.Outcome}");

        ConformanceControl.Behaviour = ConformanceBehaviour.Default;
        var next = (await Driver.Join("p3")).Configuration;
        await Driver.WaitForRound(next.Epoch);
        await Driver.AssertConverged(next);
    }
}
