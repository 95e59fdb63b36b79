using Orleans.Hosting;
using Orleans.TestingHost;
using Resync.Hosting;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Reference;

/// <summary>
/// CKPT's deletions and EVT's closed channels on a cluster whose tombstones go at the first round after them (a
/// retention of zero): pruned on every member, never back with a processor that missed the deletion.
/// </summary>
public sealed class TombstonePruningTests
{
    [Fact]
    public Task Tombstones_are_pruned_by_the_next_round_and_what_they_deleted_stays_deleted_when_a_processor_that_missed_it_returns() =>
        FreshCluster.RunAsync<PruningSilo>(2, async cluster =>
        {
            var driver = new ReferenceDriver(cluster.Client);
            await driver.Settle(driver.Engine.Join("p1", "p2", "p3"));
            await driver.Ckpt("p1").Create("gone");
            await driver.Ckpt("p1").Write("gone", "s", ReferenceDriver.Bytes(100, 1));
            await driver.Ckpt("p1").Create("kept");
            await driver.Evt("p1").OpenChannel("old");
            await driver.Evt("p2").Publish("old", [1], TimeSpan.FromHours(1));
            await driver.Settle(driver.Engine.Leave("p3"));

            await driver.Ckpt("p2").Delete("gone");
            await driver.Evt("p2").CloseChannel("old");
            using (var pruned = new CounterTotal("resync.tombstones.pruned"))
            {
                await driver.Settle(driver.Engine.Join("p4"));
                Assert.Equal(4, pruned.Total); // a checkpoint and a channel on each of p1 and p2; p4 never held them
            }

            Assert.Equal(["gone", "kept"], (await driver.Ckpt("p3").List()).Select(c => c.Name).Order().ToArray());
            await driver.Settle(driver.Engine.Join("p3"));

            await driver.AssertIdentical();
            foreach (var member in new[] { "p1", "p2", "p3", "p4" })
            {
                Assert.Equal(["kept"], (await driver.Ckpt(member).List()).Select(c => c.Name).ToArray());
                Assert.Empty(await driver.Evt(member).ListChannels());
            }

            // Created again after its tombstone went: a version newer than any the old tombstone had.
            var again = await driver.Ckpt("p3").Create("gone");
            await driver.Settle(driver.Engine.Join("p5"));
            await driver.AssertIdentical();
            Assert.Equal(again, Assert.Single((await driver.Ckpt("p5").List()).Where(c => c.Name == "gone")).Version);
        });

    [Fact]
    public Task A_quiet_cluster_runs_a_round_of_the_same_members_which_prunes_its_tombstones() =>
        FreshCluster.RunAsync<QuietSilo>(1, async cluster =>
        {
            var driver = new ReferenceDriver(cluster.Client);
            var joined = await driver.Settle(driver.Engine.Join("p1", "p2"));
            using var pruned = new CounterTotal("resync.tombstones.pruned");
            await driver.Ckpt("p1").Create("x");
            await driver.Ckpt("p1").Delete("x");
            var deleted = (await driver.Engine.Status()).Configuration.Epoch;

            var quiet = await driver.Engine.WaitForStatus(
                s => s.Configuration.Epoch > deleted && s.Round is { Phase: RoundPhase.Completed },
                "a quiet cluster's round after the deletion");

            Assert.Equal(joined.Members.ToArray(), quiet.Configuration.Members.ToArray());
            var summary = (await driver.Engine.Configuration.GetHistory()).First(r => r.Epoch == quiet.Configuration.Epoch);
            Assert.Contains("quiet", summary.Cause);
            Assert.Equal(2, pruned.Total); // the tombstone of x, on p1 and on p2
            await driver.AssertIdentical();
        });

    public sealed class QuietSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder.AddResyncMemoryStorage().AddResync(options =>
            {
                options.Writes.TombstoneRetention = TimeSpan.Zero;
                options.Rounds.QuietRound = TimeSpan.FromMilliseconds(500);
            }).AddReferenceServices();
    }

    public sealed class PruningSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder.AddResyncMemoryStorage().AddResync(options => options.Writes.TombstoneRetention = TimeSpan.Zero).AddReferenceServices();
    }
}
