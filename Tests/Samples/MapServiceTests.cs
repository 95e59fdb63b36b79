using Orleans.Hosting;
using Orleans.TestingHost;
using Resync;
using Resync.Hosting;
using Xunit;

namespace MapSample;

public sealed class MapServiceTests
{
    public sealed class MapSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo) => silo.AddResyncMemoryStorage().AddSyncService<MapService>("map");
    }

    [Fact]
    public async Task A_processor_that_joins_gets_every_write()
    {
        var builder = new TestClusterBuilder(2);
        builder.AddSiloBuilderConfigurator<MapSilo>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            var resync = cluster.Client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
            var map = (string processor) => cluster.Client.GetGrain<IMapService>(processor);

            // A processor takes writes once a round that includes it has completed.
            var joined = await resync.Join(["p1", "p2", "p3"]);
            await resync.WaitForCompletedRound(joined.Configuration.Epoch, TimeSpan.FromSeconds(30));
            await map("p1").Put("colour", "blue");
            await map("p2").Put("shape", "round");

            var added = await resync.Join(["p4"]);
            await resync.WaitForCompletedRound(added.Configuration.Epoch, TimeSpan.FromSeconds(30));
            foreach (var processor in new[] { "p1", "p2", "p3", "p4" })
            {
                Assert.Equal("blue", await map(processor).Get("colour"));
                Assert.Equal("round", await map(processor).Get("shape"));
            }
        }
        finally
        {
            await cluster.StopAllSilosAsync();
        }
    }
}
