using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Cluster;

/// <summary>What happens to replicas: leave keeps them, fail drops them, abort lets writes through, process repeats until done.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ReplicaFateTests(ResyncClusterFixture fixture, ITestOutputHelper output) : ClusterTest(fixture)
{

    [Fact]
    public async Task A_processor_that_leaves_keeps_its_replicas_and_one_that_fails_loses_them()
    {
        var settled = (await Driver.Join("p1", "p2", "p3")).Configuration;
        await Driver.WaitForRound(settled.Epoch);

        await Driver.WaitForRound((await Driver.Leave("p2")).Configuration.Epoch);
        var final = (await Driver.Fail("p3")).Configuration;
        await Driver.WaitForRound(final.Epoch);

        var kept = await Driver.Replica("conf-a", "p2").GetState();
        Assert.Equal(settled.Epoch, kept.Epoch);
        Assert.Equal(settled.Members.ToArray(), kept.Members.ToArray());
        var lost = await Driver.Replica("conf-a", "p3").GetState();
        Assert.Equal(0, lost.Epoch);
        Assert.Empty(lost.Members);
        await Driver.AssertConverged(final);
    }

    [Fact]
    public async Task Process_is_called_again_until_it_answers_done()
    {
        ConformanceControl.Behaviour = new ConformanceBehaviour(MoreCount: 3);
        var mark = ConformanceJournal.Mark();
        var configuration = (await Driver.Join("p1", "p2")).Configuration;
        await Driver.WaitForRound(configuration.Epoch);

        var log = ConformanceJournal.Since(mark);
        foreach (var service in ResyncTestSilo.Services)
        {
            foreach (var member in configuration.Members)
            {
                Assert.Equal(4, log.Count(e => e.Service == service && e.Processor == member && e.Callback == "process"));
            }
        }

        CallbackLogAssertions.AssertLegal(log, configuration, ResyncTestSilo.Services, output);
        await Driver.AssertConverged(configuration);
    }

    [Fact]
    public async Task An_abort_lets_writes_through_again()
    {
        var settled = (await Driver.Join("p1", "p2")).Configuration;
        await Driver.WaitForRound(settled.Epoch);
        var atConfB = ConformanceControl.HoldAt("process", "conf-b");
        await Driver.Join("p3");
        await ResyncDriver.Reached(atConfB, "conf-b processing");
        await Assert.ThrowsAsync<RecoveryInProgressException>(() => Driver.Replica("conf-b", "p1").Write());

        // The next round stops at conf-a, so nothing gates conf-b again before the write.
        var atConfA = ConformanceControl.HoldAt("process", "conf-a");
        var final = (await Driver.Join("p4")).Configuration;
        await ResyncDriver.Reached(atConfA, "conf-a processing in the next round");

        // The aborted round's sequencer tells its members in the background (it waits for none of them): p1's conf-b takes
        // writes again once the abort reached it. A write refused before that changes nothing.
        Assert.Equal(settled.Epoch, await WriteOnceOpenAsync(Driver.Replica("conf-b", "p1"), "p1's conf-b, once the abort of the round held in it arrived"));
        atConfB.Release();
        atConfA.Release();
        await Driver.WaitForRound(final.Epoch);
    }

    [Fact]
    public async Task A_processor_that_left_refuses_client_writes_until_it_rejoins()
    {
        await Driver.WaitForRound((await Driver.Join("p1", "p2")).Configuration.Epoch);
        var left = (await Driver.Leave("p2")).Configuration;
        await Driver.WaitForRound(left.Epoch);

        var refused = await Assert.ThrowsAsync<NotAMemberException>(() => Driver.Replica("conf-a", "p2").Write());
        Assert.Contains($"left the configuration in epoch {left.Epoch}", refused.Message);

        var back = (await Driver.Join("p2")).Configuration;
        await Driver.WaitForRound(back.Epoch);
        Assert.Equal(back.Epoch, await Driver.Replica("conf-a", "p2").Write());
    }

    [Fact]
    public async Task A_service_that_throws_fails_its_round_which_is_retried_under_a_new_epoch_until_it_completes()
    {
        ConformanceControl.Behaviour = new ConformanceBehaviour(ThrowIn: "process");
        var failing = (await Driver.Join("p1", "p2")).Configuration;
        var failed = await Driver.WaitForEnded(failing.Epoch);

        Assert.True(failed.Failed);
        Assert.Contains("conformance service told to throw in process", failed.AbortReason);
        ConformanceControl.Behaviour = ConformanceBehaviour.Default;

        var completed = await Driver.WaitForRound(failing.Epoch + 1);
        var final = await Driver.Configuration.GetConfiguration();
        Assert.Equal(failing.Members.ToArray(), final.Members.ToArray());
        Assert.True(completed.Epoch > failing.Epoch);
        await Driver.AssertConverged(final);
    }

    /// <summary>Writes through <paramref name="replica"/> once its gate is open, bounded by the round timeout.</summary>
    private static async Task<long> WriteOnceOpenAsync(IConformanceService replica, string phase)
    {
        var deadline = DateTime.UtcNow + ResyncDriver.RoundTimeout;
        while (true)
        {
            try
            {
                return await replica.Write();
            }
            catch (RecoveryInProgressException refused)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{phase}: writes still refused after {ResyncDriver.RoundTimeout.TotalSeconds} s ({refused.Message})");
            }
        }
    }
}
