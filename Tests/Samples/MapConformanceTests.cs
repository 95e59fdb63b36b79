using Resync.Hosting;
using Resync.Testing;
using Xunit;

namespace MapSample;

public sealed class MapConformanceTests
{
    [Fact]
    public async Task The_map_keeps_the_contract()
    {
        var report = await ServiceConformance.RunAsync(new ConformanceTarget
        {
            Service = "map",
            Register = silo => silo.AddSyncService<MapService>("map"),
            ReadState = async (grains, processor) =>
                $"{await grains.GetGrain<IMapService>(processor).Get("a")} {await grains.GetGrain<IMapService>(processor).Get("b")}",
            Write = (grains, processor, i) => grains.GetGrain<IMapService>(processor).Put(i % 2 == 0 ? "a" : "b", $"v{i}"),
        });

        report.ThrowIfViolated(); // the message is the whole report: each violation with its epoch, processor and callbacks
    }
}
