using System.Diagnostics;
using System.Globalization;

namespace Resync.Bench.Scenarios;

/// <summary>
/// The hops of every round on this silo (the engine's "Resync" activities), written one per line to a file of its own
/// in the folder that <c>RESYNC_HOPS</c> names: name, start (Unix time in microseconds, the machine's clock, which
/// every silo process here shares), duration in microseconds, tags, and the process's GC pause time so far. For profiling a round across silo processes.
/// </summary>
internal sealed class HopLog : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly StreamWriter _file;

    private HopLog(string folder)
    {
        Directory.CreateDirectory(folder);
        _file = new StreamWriter(Path.Combine(folder, $"silo-{Environment.ProcessId}.tsv")) { AutoFlush = true };
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Resync",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = Write,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public static HopLog? StartFromEnvironment() =>
        Environment.GetEnvironmentVariable("RESYNC_HOPS") is { Length: > 0 } folder ? new HopLog(folder) : null;

    private void Write(Activity activity)
    {
        var start = (activity.StartTimeUtc - DateTime.UnixEpoch).Ticks / 10.0;
        var tags = string.Join(" ", activity.TagObjects.Select(t => $"{t.Key}={t.Value}"));
        // With the process's GC pause total so far, in microseconds: a pause between two hops shows as its growth.
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{activity.OperationName}\t{start:F1}\t{activity.Duration.Ticks / 10.0:F1}\t{Environment.ProcessId}\t{tags} gc_pause_us={GC.GetTotalPauseDuration().Ticks / 10}");
        lock (_file)
        {
            _file.WriteLine(line);
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        _file.Dispose();
    }
}
