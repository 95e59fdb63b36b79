using System.Diagnostics;

namespace Resync.Client.Benchmarks;

[Alias("resync.bench.IPingGrain")]
public interface IPingGrain : IGrainWithIntegerKey
{
    [Alias("Ping")] Task Ping();

    [Alias("Take")] Task Take(byte[] data);
}

/// <summary>A grain that does nothing: what a grain call costs without any work behind it.</summary>
public sealed class PingGrain : Grain, IPingGrain
{
    public Task Ping() => Task.CompletedTask;

    public Task Take(byte[] data) => Task.CompletedTask;
}

/// <summary>
/// The floor under a round, measured in the same process right before a scenario: a round of S services
/// needs S+1 barrier rounds, each at least one round trip plus one grain taking N requests one by one.
/// </summary>
public sealed record Baseline(double RoundTripMs, double PerCallMs, int Processors)
{
    public double LowerBoundMs(int services) => (services + 1) * (RoundTripMs + Processors * PerCallMs);

    public static async Task<Baseline> MeasureAsync(IClusterClient client, int processors)
    {
        var ping = client.GetGrain<IPingGrain>(Random.Shared.NextInt64());
        for (var i = 0; i < 200; i++)
        {
            await ping.Ping();
        }

        var roundTrips = new List<double>();
        for (var i = 0; i < 400; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await ping.Ping();
            roundTrips.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        var perCall = new List<double>();
        for (var trial = 0; trial < Math.Max(5, 2000 / processors); trial++)
        {
            var start = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, processors).Select(_ => ping.Ping()));
            perCall.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds / processors);
        }

        return new Baseline(Stats.Percentile(roundTrips, 50), Stats.Percentile(perCall, 50), processors);
    }

    /// <summary>Bytes per second that sequential grain calls carry in chunks of <paramref name="chunkBytes"/>.</summary>
    public static async Task<double> MeasureByteThroughputAsync(IClusterClient client, int chunkBytes, long totalBytes)
    {
        var sink = client.GetGrain<IPingGrain>(Random.Shared.NextInt64());
        var chunk = new byte[chunkBytes];
        Random.Shared.NextBytes(chunk);
        await sink.Take(chunk);
        var start = Stopwatch.GetTimestamp();
        for (long sent = 0; sent < totalBytes; sent += chunkBytes)
        {
            await sink.Take(chunk);
        }

        return totalBytes / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
