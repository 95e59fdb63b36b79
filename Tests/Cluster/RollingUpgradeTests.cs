using MapSample;
using Orleans.Hosting;
using Orleans.TestingHost;
using Resync.Hosting;
using Resync.Placement;
using Resync.Tests.Infrastructure;
using Resync.Tests.Reference;

namespace Resync.Tests.Cluster;

/// <summary>
/// Services on only some silos (issue 20 point 4): a rolling upgrade adds a service silo by silo and removes it again. The
/// rounds synchronize the union of the live silos' services in the order they agree on; a service's replicas exchange
/// among the processors that have it, and the others take part in its step without one.
/// </summary>
public sealed class RollingUpgradeTests(ITestOutputHelper output)
{
    /// <summary>Silo processors with the reference services, and README's map on the silos started while <see cref="WithMap"/> is set.</summary>
    public sealed class UpgradeSilo : ISiloConfigurator
    {
        public static volatile bool WithMap;

        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddResyncMemoryStorage().AddResync(options => options.Silos.Processors = true).AddReferenceServices();
            if (WithMap)
            {
                siloBuilder.AddSyncService<MapService>("map");
            }
        }
    }

    [Fact]
    public async Task A_service_added_silo_by_silo_and_removed_again_converges_among_the_silos_that_have_it_and_disturbs_no_other()
    {
        UpgradeSilo.WithMap = false;
        await FreshCluster.RunAsync<UpgradeSilo>(3, async cluster =>
        {
            var driver = new ReferenceDriver(cluster.Client);
            var primary = ProcessorPlacement.SiloProcessor(cluster.Primary!.SiloAddress);
            await SettledAsync(driver, cluster, "three silos without the map", lacking: []);
            var secondaries = cluster.SecondarySilos.ToList();

            var first = await ReplaceAsync(cluster, driver, secondaries[0], withMap: true, "the first silo upgraded");
            var second = ProcessorPlacement.SiloProcessor(secondaries[1].SiloAddress);
            var status = await SettledAsync(driver, cluster, "the first silo upgraded", lacking: [primary, second]);
            Assert.Equal<string>(["clm", "evt", "ckpt", "map"], status!.Services);
            await Map(cluster, first).Put("colour", "blue");

            var upgraded = await ReplaceAsync(cluster, driver, secondaries[1], withMap: true, "the second silo upgraded");
            await SettledAsync(driver, cluster, "the second silo upgraded", lacking: [primary]);
            Assert.Equal("blue", await Map(cluster, upgraded).Get("colour"));
            await Map(cluster, upgraded).Put("shape", "round");
            Assert.Equal("round", await Map(cluster, first).Get("shape"));
            await driver.WaitForIdentical("with the map on two silos of three");

            var downgraded = await ReplaceAsync(cluster, driver, cluster.Silos.Single(s => ProcessorPlacement.SiloProcessor(s.SiloAddress) == first), withMap: false, "the first silo downgraded");
            await SettledAsync(driver, cluster, "the first silo downgraded", lacking: [downgraded, primary]);
            Assert.Equal(("blue", "round"), (await Map(cluster, upgraded).Get("colour"), await Map(cluster, upgraded).Get("shape")));

            await ReplaceAsync(cluster, driver, cluster.Silos.Single(s => ProcessorPlacement.SiloProcessor(s.SiloAddress) == upgraded), withMap: false, "the second silo downgraded");
            status = await SettledAsync(driver, cluster, "every silo downgraded", lacking: []);
            Assert.Equal<string>(["clm", "evt", "ckpt"], status!.Services);
            await driver.WaitForIdentical("with the map on no silo");

            var history = await driver.Engine.Configuration.GetHistory();
            output.WriteLine(string.Join("\n", history.Select(r => $"epoch {r.Epoch}: {r.Outcome}{(r.Failed ? " (failed)" : "")}")));
            Assert.DoesNotContain(history, r => r.Failed);
        });
    }

    private static IMapService Map(TestCluster cluster, string processor) => cluster.Client.GetGrain<IMapService>(processor);

    /// <summary>Stops <paramref name="old"/> and starts a silo in its place, with or without the map; returns the new silo's processor.</summary>
    private static async Task<string> ReplaceAsync(TestCluster cluster, ReferenceDriver driver, SiloHandle old, bool withMap, string phase)
    {
        await cluster.StopSiloAsync(old);
        UpgradeSilo.WithMap = withMap;
        var started = await cluster.StartAdditionalSiloAsync();
        var processor = ProcessorPlacement.SiloProcessor(started.SiloAddress);
        await driver.Engine.WaitForStatus(s => s.Configuration.Members.Contains(processor), $"{phase}: {processor} joined");
        return processor;
    }

    /// <summary>Waits until the members are the silos' processors, the round completed, and the map's lacking members are <paramref name="lacking"/>.</summary>
    private static Task<ResyncStatus> SettledAsync(ReferenceDriver driver, TestCluster cluster, string phase, string[] lacking)
    {
        var expected = cluster.Silos.Select(s => ProcessorPlacement.SiloProcessor(s.SiloAddress)).Order(StringComparer.Ordinal).ToArray();
        var lack = lacking.Order(StringComparer.Ordinal).ToArray();
        return driver.Engine.WaitForStatus(
            s => s.Configuration.Members.SequenceEqual(expected) && s.Round is { Phase: RoundPhase.Completed } round && round.Epoch == s.Configuration.Epoch &&
                (round.Lacking.SingleOrDefault(l => l.Service == "map")?.Processors ?? []).SequenceEqual(lack),
            $"{phase}: expected members {string.Join(" ", expected)} with the map lacking on [{string.Join(" ", lack)}]");
    }
}
