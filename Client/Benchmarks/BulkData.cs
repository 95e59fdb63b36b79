using System.Diagnostics;
using Resync.Placement;
using Resync.Reference;

namespace Resync.Client.Benchmarks;

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
}

[Alias("resync.bench.IBulkLinkGrain")]
public interface IBulkLinkGrain : IGrainWithStringKey
{
    /// <summary>Sends <paramref name="bytes"/> to the link of <paramref name="processor"/> in sequential calls of <paramref name="chunkBytes"/>; returns bytes per second.</summary>
    [Alias("SendTo")] Task<double> SendTo(string processor, long bytes, int chunkBytes);

    [Alias("Take")] Task Take(byte[] data);
}

/// <summary>
/// The raw byte throughput of grain calls between two silos: keyed by a silo processor, a link lives on that
/// silo (<see cref="ProcessorPlacement"/>), as the replicas of that processor do.
/// </summary>
[ProcessorPlacement]
public sealed class BulkLinkGrain : Grain, IBulkLinkGrain
{
    public async Task<double> SendTo(string processor, long bytes, int chunkBytes)
    {
        var target = GrainFactory.GetGrain<IBulkLinkGrain>(processor);
        var chunk = new byte[chunkBytes];
        Random.Shared.NextBytes(chunk);
        await target.Take(chunk);
        var start = Stopwatch.GetTimestamp();
        for (long sent = 0; sent < bytes; sent += chunkBytes)
        {
            await target.Take(chunk);
        }

        return bytes / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    public Task Take(byte[] data) => Task.CompletedTask;
}
