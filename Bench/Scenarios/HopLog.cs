using System.Diagnostics;
using System.Globalization;

namespace Resync.Bench.Scenarios;

/// <summary>
/// The hops of every round on this silo (the engine's "Resync" activities), written one per line to a file of its own
/// in the folder that <c>RESYNC_HOPS</c> names: name, start (Unix time in microseconds, the machine's clock, which
/// every silo process here shares), duration in microseconds, tags, and the process's GC pause, CPU and JIT time so far. For profiling a round across silo processes.
/// </summary>
internal sealed class HopLog : IDisposable
{
    private readonly ActivityListener _listener;
    private readonly JitListener _jit;
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
        _jit = new JitListener(this);
    }

    public static HopLog? StartFromEnvironment() =>
        Environment.GetEnvironmentVariable("RESYNC_HOPS") is { Length: > 0 } folder ? new HopLog(folder) : null;

    private void Write(Activity activity)
    {
        var start = (activity.StartTimeUtc - DateTime.UnixEpoch).Ticks / 10.0;
        var tags = string.Join(" ", activity.TagObjects.Select(t => $"{t.Key}={t.Value}"));
        // With the process's GC pause total so far, in microseconds: a pause between two hops shows as its growth.
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{activity.OperationName}\t{start:F1}\t{activity.Duration.Ticks / 10.0:F1}\t{Environment.ProcessId}\t{tags} gc_pause_us={GC.GetTotalPauseDuration().Ticks / 10} cpu_us={Environment.CpuUsage.TotalTime.Ticks / 10} jit_us={System.Runtime.JitInfo.GetCompilationTime().Ticks / 10} jitted={System.Runtime.JitInfo.GetCompiledMethodCount()}");
        WriteLine(line);
    }

    private void WriteLine(string line)
    {
        lock (_file)
        {
            _file.WriteLine(line);
        }
    }

    public void Dispose()
    {
        _jit.Dispose();
        _listener.Dispose();
        _file.Dispose();
    }

    /// <summary>Every method the JIT compiles in this process, as a hop of its own ("jit", with the method's name): what a round waited for.</summary>
    private sealed class JitListener(HopLog log) : System.Diagnostics.Tracing.EventListener
    {
        protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x10);
            }
        }

        protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
        {
            if (log is null || e.EventName is not "MethodJittingStarted_V1" || e.Payload is not { Count: >= 6 } payload)
            {
                return;
            }

            var start = (e.TimeStamp.ToUniversalTime() - DateTime.UnixEpoch).Ticks / 10.0;
            log.WriteLine(FormattableString.Invariant($"jit\t{start:F1}\t0\t{Environment.ProcessId}\tmethod={payload[4]}.{payload[5]}").Replace(" ", "_", StringComparison.Ordinal));
        }
    }
}
