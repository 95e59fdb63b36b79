namespace Resync.Bench.Scenarios;

/// <summary>What the benchmark runs; <see cref="Quick"/> is a smoke run of every scenario.</summary>
internal sealed record BenchSettings(
    int[] ProcessorCounts,
    int[] ServiceCounts,
    int WarmupRuns,
    TimeSpan WarmupTime,
    TimeSpan ProcessWarmupTime,
    int ChurnProcessors,
    int ChurnChanges,
    int ChurnBursts,
    int BulkMiB,
    int BulkRuns,
    int ProcessRuns,
    double RunScale)
{
    public static BenchSettings Full { get; } =
        new([4, 16, 64, 256, 1024], [1, 3, 10], 10, TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10), 16, 100, 5, 64, 3, 5, 1);

    public static BenchSettings Quick { get; } =
        new([4, 16, 64], [1, 3, 10], 3, TimeSpan.Zero, TimeSpan.Zero, 16, 100, 2, 16, 1, 2, 0.1);

    /// <summary>Round latency at the given sizes only (either may be empty: all of it); no bulk run, and memory only with several N.</summary>
    public BenchSettings Narrowed(int[]? processors, int[]? services)
    {
        if (processors is not { Length: > 0 } && services is not { Length: > 0 })
        {
            return this;
        }

        if (processors?.Any(n => n < 1) == true || services?.Any(s => s is < 1 or > 10) == true)
        {
            throw new ArgumentException("--processors takes N >= 1 and --services takes S from 1 to 10.");
        }

        return this with
        {
            ProcessorCounts = processors is { Length: > 0 } ? [.. processors.Distinct().Order()] : ProcessorCounts,
            ServiceCounts = services is { Length: > 0 } ? [.. services.Distinct().Order()] : ServiceCounts,
            BulkMiB = 0,
        };
    }

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
