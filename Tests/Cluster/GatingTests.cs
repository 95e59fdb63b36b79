using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Cluster;

/// <summary>Writes to a synchronizing replica wait, bounded, or fail naming the epoch; reads serve the last activated state (item 8).</summary>
[Collection(ClusterCollection.Name)]
public sealed class GatingTests(ResyncClusterFixture fixture) : ClusterTest(fixture)
{

    [Fact]
    public async Task A_write_to_a_synchronizing_replica_waits_then_fails_with_recovery_in_progress_and_reads_serve_the_last_activated_state()
    {
        var settled = (await Driver.Join("p1", "p2")).Configuration;
        await Driver.WaitForRound(settled.Epoch);
        var hold = ConformanceControl.HoldAt("process", "conf-b");
        var syncing = (await Driver.Join("p3")).Configuration;
        await ResyncDriver.Reached(hold, "conf-b processing");

        var refused = await Assert.ThrowsAsync<RecoveryInProgressException>(() => Driver.Replica("conf-b", "p1").Write());
        Assert.Equal(syncing.Epoch, refused.Epoch);
        Assert.Contains($"epoch {syncing.Epoch}", refused.Message);
        Assert.Contains("retry", refused.Message);

        Assert.Equal(syncing.Epoch, await Driver.Replica("conf-a", "p1").Write());
        var served = await Driver.Replica("conf-b", "p1").GetState();
        Assert.Equal(settled.Epoch, served.Epoch);
        Assert.Equal(settled.Members.ToArray(), served.Members.ToArray());

        var waiting = Driver.Replica("conf-b", "p2").Write();
        hold.Release();
        Assert.Equal(syncing.Epoch, await waiting);
        await Driver.WaitForRound(syncing.Epoch);
    }
}
