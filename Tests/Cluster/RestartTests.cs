using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Cluster;

/// <summary>Epochs only grow, also across a restart of the whole cluster (contract item 1).</summary>
public sealed class RestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Epochs_keep_growing_across_a_restart_of_every_silo_and_never_reuse_a_number()
    {
        SharedStorage.Reset();
        ConformanceControl.Reset();
        long before;
        var first = await ResyncClusterFixture.StartAsync(silos: 2, sharedStorage: true);
        try
        {
            var driver = new ResyncDriver(first.Client);
            await driver.Join("r1", "r2");
            before = (await driver.Join("r3")).Configuration.Epoch;
            await driver.WaitForRound(before);
        }
        finally
        {
            await first.StopAllSilosAsync();
            await first.DisposeAsync();
        }

        var second = await ResyncClusterFixture.StartAsync(silos: 2, sharedStorage: true);
        try
        {
            var driver = new ResyncDriver(second.Client);
            var resumed = await driver.Configuration.GetConfiguration();
            // The shutdown may itself have made an epoch: the silo that stopped first took the replicas of the
            // logical processors it hosted, and the other renewed the configuration to rebuild them.
            Assert.True(resumed.Epoch >= before, $"epoch {resumed.Epoch} after the restart, {before} before it");
            Assert.Equal(["r1", "r2", "r3"], resumed.Members.ToArray());

            var next = (await driver.Leave("r2")).Configuration;
            Assert.Equal(resumed.Epoch + 1, next.Epoch);
            await driver.WaitForRound(next.Epoch);
            output.WriteLine($"epoch {before} before the restart, {next.Epoch} after");
        }
        finally
        {
            await second.StopAllSilosAsync();
            await second.DisposeAsync();
        }
    }
}
