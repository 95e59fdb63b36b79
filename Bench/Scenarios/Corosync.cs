using System.Diagnostics;
using System.Text.Json;
using Resync.Bench.Processes;

namespace Resync.Bench.Scenarios;

/// <summary>One event's figures from corosync, over the runs: the sync phase (per run, the max over the nodes) and cause to completion.</summary>
internal sealed record EventFigures(double SyncP50Ms, double SyncMinMs, double SyncMaxMs, double WholeP50Ms);

/// <summary>corosync 3's figures measured on this machine, or why they could not be (<see cref="Skipped"/>).</summary>
internal sealed record CorosyncFigures(string? Skipped, string? Version, EventFigures? Join, EventFigures? Kill, EventFigures? Stop)
{
    public static CorosyncFigures Skip(string why) => new(why, null, null, null, null);
}

/// <summary>
/// corosync 3 beside Resync, in the same run on the same machine: the repository's
/// <c>scripts/corosync/side-by-side.sh</c> runs three corosync nodes on loopback, the third joining, killed
/// with SIGKILL and stopped with SIGTERM, <c>runs</c> times, and prints one JSON object (the script says
/// what it measures and how). It needs Linux and root, and installs corosync with apt-get if it is missing.
/// </summary>
internal sealed class Corosync(TextWriter progress)
{
    private const string ScriptPrefix = "[corosync side-by-side] ";
    private static readonly TimeSpan GraceAfterTerm = TimeSpan.FromSeconds(10);

    /// <summary>Runs the script, bounded; any failure comes back as <see cref="CorosyncFigures.Skipped"/>, only a cancellation throws.</summary>
    public async Task<CorosyncFigures> RunAsync(int runs, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        var script = Path.Combine(Checkout.Root, "scripts", "corosync", "side-by-side.sh");
        if (!OperatingSystem.IsLinux() || !File.Exists(script))
        {
            return CorosyncFigures.Skip(OperatingSystem.IsLinux() ? $"no {script} to measure corosync with" : "corosync is measured on Linux only");
        }

        // About 7 s a run here, 10 s more to start; an install of corosync takes a minute at most.
        var timeout = TimeSpan.FromMinutes(3) + runs * TimeSpan.FromSeconds(30);
        var info = new ProcessStartInfo("bash")
        {
            ArgumentList = { script, "--runs", runs.ToString() },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException("bash did not start");
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var errors = ForwardAsync(process.StandardError);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(bounded.Token);
        }
        catch (OperationCanceledException)
        {
            await StopAsync(process);
            cancellationToken.ThrowIfCancellationRequested();
            return CorosyncFigures.Skip($"scripts/corosync/side-by-side.sh did not finish within {timeout.TotalSeconds:F0} s");
        }

        var (json, tail) = (await output, await errors);
        try
        {
            return Parse(json);
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            return CorosyncFigures.Skip($"scripts/corosync/side-by-side.sh exited with {process.ExitCode} and no figures ({exception.Message}): {tail}");
        }
    }

    private static CorosyncFigures Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.TryGetProperty("skipped", out var skipped))
        {
            return CorosyncFigures.Skip(skipped.GetString() ?? "skipped, no reason given");
        }

        return new CorosyncFigures(null, root.GetProperty("version").GetString(), Event(root, "join"), Event(root, "kill"), Event(root, "stop"));
    }

    private static EventFigures Event(JsonElement root, string name)
    {
        double[] sync = [.. root.GetProperty(name).GetProperty("sync_ms").EnumerateArray().Select(v => v.GetDouble())];
        double[] whole = [.. root.GetProperty(name).GetProperty("whole_ms").EnumerateArray().Select(v => v.GetDouble())];
        return new EventFigures(Stats.Percentile(sync, 50), sync.Min(), sync.Max(), Stats.Percentile(whole, 50));
    }

    /// <summary>Hands the script's own lines to the progress writer; returns the last few lines of all, for a failure's message.</summary>
    private async Task<string> ForwardAsync(StreamReader errors)
    {
        var tail = new Queue<string>();
        while (await errors.ReadLineAsync() is { } line)
        {
            if (line.StartsWith(ScriptPrefix, StringComparison.Ordinal))
            {
                progress.WriteLine($"  corosync: {line[ScriptPrefix.Length..]}");
            }

            tail.Enqueue(line);
            if (tail.Count > 5)
            {
                tail.Dequeue();
            }
        }

        return string.Join(" | ", tail);
    }

    /// <summary>SIGTERM first, so that the script's trap kills its nodes and removes its folder; SIGKILL after a grace period.</summary>
    private static async Task StopAsync(Process process)
    {
        try
        {
            using (var signal = Process.Start("kill", ["-TERM", process.Id.ToString()]))
            {
                await signal.WaitForExitAsync();
            }

            using var grace = new CancellationTokenSource(GraceAfterTerm);
            await process.WaitForExitAsync(grace.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
        }
    }
}

internal static class CorosyncFiguresExtensions
{
    /// <summary>
    /// Adds corosync's figures of the same event, measured in the same run, and Resync's ratio to them (p50 over p50):
    /// the sync phase, and where <paramref name="whole"/> names Resync's whole-event samples, cause to completion too.
    /// Nothing is added when corosync could not run.
    /// </summary>
    public static Dictionary<string, double> WithCorosync(this Dictionary<string, double> extra, EventFigures? corosync, List<double> sync, (string Name, List<double> Samples)? whole)
    {
        if (corosync is null)
        {
            return extra;
        }

        extra["corosync_sync_p50_ms"] = corosync.SyncP50Ms;
        extra["corosync_sync_min_ms"] = corosync.SyncMinMs;
        extra["corosync_sync_max_ms"] = corosync.SyncMaxMs;
        extra["ratio_to_corosync"] = Stats.Percentile(sync, 50) / corosync.SyncP50Ms;
        if (whole is { } resync)
        {
            extra[$"corosync_{resync.Name}_p50_ms"] = corosync.WholeP50Ms;
            extra[$"{resync.Name}_ratio_to_corosync"] = Stats.Percentile(resync.Samples, 50) / corosync.WholeP50Ms;
        }

        return extra;
    }
}
