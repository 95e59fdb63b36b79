namespace Resync.Client.Benchmarks;

/// <summary>What the benchmark runs; <see cref="Quick"/> is a smoke run of every scenario.</summary>
internal sealed record BenchSettings(
    int[] ProcessorCounts,
    int[] ServiceCounts,
    int WarmupRuns,
    int ChurnProcessors,
    int ChurnChanges,
    int BulkMiB,
    int BulkRuns,
    int ProcessRuns,
    double RunScale)
{
    public static BenchSettings Full { get; } = new([4, 16, 64, 256, 1024], [1, 3, 10], 10, 16, 100, 64, 3, 5, 1);

    public static BenchSettings Quick { get; } = new([4, 16, 64], [1, 3, 10], 3, 16, 100, 16, 1, 2, 0.1);

    /// <summary>More runs where a run is short, so that every percentile rests on enough samples.</summary>
    public int RunsFor(int processors) => Math.Max(5, (int)(RunScale * processors switch
    {
        <= 4 => 500,
        <= 16 => 300,
        <= 64 => 100,
        <= 256 => 40,
        _ => 15,
    }));
}
