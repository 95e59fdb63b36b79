using System.Diagnostics;

namespace Resync.Bench.Scenarios;

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
/// The floor under a round, measured in the same process right before a scenario. A round of S services has S+1
/// barriers, and a barrier through one coordinator takes N requests in and sends N calls out: each barrier costs at
/// least one round trip of a no-op call plus 2 x N times the per-call time of one grain taking N concurrent no-op
/// calls. So the bound is (S+1) x (round trip + 2 x N x per-call time).
/// </summary>
public sealed record Baseline(double RoundTripMs, double PerCallMs, int Processors)
{
    public double LowerBoundMs(int services) => (services + 1) * (RoundTripMs + 2 * Processors * PerCallMs);

    public static async Task<Baseline> MeasureAsync(IClusterClient client, int processors)
    {
        var ping = client.GetGrain<IPingGrain>(Random.Shared.NextInt64());
        for (var i = 0; i < 200; i++)
        {
            await ping.Ping();
        }

        var roundTrip = await MedianRoundTripMsAsync(ping.Ping, 400);
        var perCall = new List<double>();
        for (var trial = 0; trial < Math.Max(5, 2000 / processors); trial++)
        {
            var start = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, processors).Select(_ => ping.Ping()));
            perCall.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds / processors);
        }

        return new Baseline(roundTrip, Stats.Percentile(perCall, 50), processors);
    }

    /// <summary>The median time of <paramref name="calls"/> sequential calls of <paramref name="call"/>, in milliseconds.</summary>
    public static async Task<double> MedianRoundTripMsAsync(Func<Task> call, int calls)
    {
        var times = new List<double>(calls);
        for (var i = 0; i < calls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await call();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return Stats.Percentile(times, 50);
    }

    /// <summary>Bytes per second that sequential calls of <paramref name="take"/> carry in chunks of <paramref name="chunkBytes"/> (after one call to warm up).</summary>
    public static async Task<double> MeasureByteThroughputAsync(Func<byte[], Task> take, int chunkBytes, long totalBytes)
    {
        var chunk = new byte[chunkBytes];
        Random.Shared.NextBytes(chunk);
        await take(chunk);
        var start = Stopwatch.GetTimestamp();
        for (long sent = 0; sent < totalBytes; sent += chunkBytes)
        {
            await take(chunk);
        }

        return totalBytes / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }
}
