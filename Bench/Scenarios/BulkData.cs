using Resync.Placement;
using Resync.Reference;
using Resync.Reference.Ckpt;

namespace Resync.Bench.Scenarios;

/// <summary>The checkpoints that the bulk scenarios move: random bytes in sections of 4 MiB, in two checkpoints (one may hold at most 64 MiB).</summary>
internal static class BulkData
{
    private const int SectionBytes = 4 * 1024 * 1024;

    /// <summary>Writes <paramref name="mib"/> MiB through <paramref name="ckpt"/> (which replicates them to every member) and returns the bytes written.</summary>
    public static async Task<long> WriteAsync(ICkptService ckpt, int mib)
    {
        var sections = mib * 1024 * 1024 / SectionBytes;
        var data = new byte[SectionBytes];
        for (var section = 0; section < sections; section++)
        {
            var name = $"bulk-{section % 2}";
            if (section < 2)
            {
                await ckpt.Create(name);
            }

            Random.Shared.NextBytes(data);
            await ckpt.Write(name, $"s{section:D3}", data);
        }

        return (long)sections * SectionBytes;
    }

    /// <summary>The best of three measures of raw throughput, so that the first (the JIT's warm-up of the call path) does not flatter the fraction.</summary>
    public static async Task<double> BestOfThreeAsync(Func<Task<double>> measure)
    {
        var best = 0.0;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            best = Math.Max(best, await measure());
        }

        return best;
    }

    /// <summary>The CKPT step of a join round: its barrier and its processing.</summary>
    public static double CkptStepMs(RoundSummary round)
    {
        var step = round.Steps.Single(s => s.Service == CkptGrain.Name);
        return (step.BarrierWait + step.Processing).TotalMilliseconds;
    }

    /// <summary>
    /// A bulk scenario's figures: <paramref name="bytes"/> over the median of the whole join rounds (the joiner
    /// assembles its checkpoints at the final activation, after the CKPT step), against <paramref name="raw"/>.
    /// </summary>
    public static Dictionary<string, double> Figures(string label, long bytes, IReadOnlyCollection<double> roundsMs, IReadOnlyCollection<double> ckptStepsMs, double raw, TextWriter progress)
    {
        const double MiB = 1024 * 1024;
        var transfer = bytes / (Stats.Percentile(roundsMs, 50) / 1000);
        progress.WriteLine($"  {label}: {bytes / MiB:F0} MiB at {transfer / MiB:F1} MiB/s; raw grain calls {raw / MiB:F1} MiB/s");
        return new Dictionary<string, double>
        {
            ["mib"] = bytes / MiB,
            ["transfer_mib_per_s"] = transfer / MiB,
            ["raw_grain_call_mib_per_s"] = raw / MiB,
            ["fraction_of_raw"] = transfer / raw,
            ["ckpt_step_p50_ms"] = Stats.Percentile(ckptStepsMs, 50),
        };
    }
}

/// <summary>
/// Grain calls between two silos, with nothing behind them: keyed by a silo processor, a link lives on that
/// silo (<see cref="ProcessorPlacement"/>), as the replicas of that processor do.
/// </summary>
[Alias("resync.bench.ISiloLinkGrain")]
public interface ISiloLinkGrain : IGrainWithStringKey
{
    /// <summary>The median round trip, in milliseconds, of <paramref name="calls"/> sequential no-op calls to the link of <paramref name="processor"/>.</summary>
    [Alias("RoundTrip")] Task<double> RoundTrip(string processor, int calls);

    /// <summary>Sends <paramref name="bytes"/> to the link of <paramref name="processor"/> in sequential calls of <paramref name="chunkBytes"/>; returns bytes per second.</summary>
    [Alias("SendTo")] Task<double> SendTo(string processor, long bytes, int chunkBytes);

    [Alias("Ping")] Task Ping();

    [Alias("Take")] Task Take(byte[] data);
}

[ProcessorPlacement]
public sealed class SiloLinkGrain : Grain, ISiloLinkGrain
{
    public async Task<double> RoundTrip(string processor, int calls)
    {
        var target = GrainFactory.GetGrain<ISiloLinkGrain>(processor);
        await target.Ping();
        return await Baseline.MedianRoundTripMsAsync(target.Ping, calls);
    }

    public Task<double> SendTo(string processor, long bytes, int chunkBytes) =>
        Baseline.MeasureByteThroughputAsync(GrainFactory.GetGrain<ISiloLinkGrain>(processor).Take, chunkBytes, bytes);

    public Task Ping() => Task.CompletedTask;

    public Task Take(byte[] data) => Task.CompletedTask;
}
