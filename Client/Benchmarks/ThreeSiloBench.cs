using Resync.Client.Processes;
using Resync.Hosting;

namespace Resync.Client.Benchmarks;

/// <summary>
/// Scenario 3: three silo processes over TCP on PostgreSQL clustering, S = 4 (CLM, EVT, CKPT and a probe
/// service), one silo processor per silo. Two silos stay up; the third joins, is killed with SIGKILL, joins
/// again and is stopped cleanly, <see cref="BenchSettings.ProcessRuns"/> times. For each event: the sync
/// phase (the engine's round, first barrier to last activation) and, for a kill or a stop, the time from
/// the signal to the end of the survivors' completed round. Every time is the engine's own: a round's
/// duration and end come from the round history; the signal's time from this process, on the same machine.
/// </summary>
internal sealed class ThreeSiloBench(BenchSettings settings, ClusteringSettings clustering, TextWriter progress)
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);
    private const int Services = 4;

    // corosync's figures from REFERENCE.md: 3 nodes, 4 services.
    private const double CorosyncJoinSyncMs = 5.2;
    private const double CorosyncKillSyncMs = 3.4;
    private const double CorosyncKillToCompletionMs = 650;
    private const double CorosyncStopToCompletionMs = 150;

    public async Task<List<BenchmarkResult>> RunAsync(CancellationToken cancellationToken)
    {
        await clustering.PrepareAsync(cancellationToken);
        var silos = new List<SiloProcess>();
        try
        {
            silos.Add(BenchSilo.Start(clustering));
            silos.Add(BenchSilo.Start(clustering));
            await using var connection = await ConnectAsync(cancellationToken);
            var engine = connection.Client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
            await SettledAsync(engine, silos, "two silos started", cancellationToken);

            List<double> joinSync = [], killSync = [], killTotal = [], stopSync = [], stopTotal = [];
            for (var run = 0; run < settings.ProcessRuns; run++)
            {
                progress.WriteLine($"  three silos: run {run + 1} of {settings.ProcessRuns}");
                joinSync.Add((await JoinAsync(engine, silos, cancellationToken)).Duration.TotalMilliseconds);

                var killed = silos[^1];
                var killedAt = DateTimeOffset.UtcNow;
                killed.Kill();
                silos.Remove(killed);
                await killed.DisposeAsync();
                var afterKill = await SettledAsync(engine, silos, "after a kill -9", cancellationToken);
                killSync.Add(afterKill.Duration.TotalMilliseconds);
                killTotal.Add((afterKill.EndedAt - killedAt).TotalMilliseconds);

                joinSync.Add((await JoinAsync(engine, silos, cancellationToken)).Duration.TotalMilliseconds);

                var stopped = silos[^1];
                var stoppedAt = DateTimeOffset.UtcNow;
                stopped.Stop();
                silos.Remove(stopped);
                var afterStop = await SettledAsync(engine, silos, "after a clean stop", cancellationToken);
                stopSync.Add(afterStop.Duration.TotalMilliseconds);
                stopTotal.Add((afterStop.EndedAt - stoppedAt).TotalMilliseconds);
                await stopped.DisposeAsync();
            }

            return
            [
                BenchmarkResult.FromSamples("three-silos-join", 3, 3, Services, joinSync, null,
                    new Dictionary<string, double> { ["corosync_sync_ms"] = CorosyncJoinSyncMs }),
                BenchmarkResult.FromSamples("three-silos-kill", 3, 2, Services, killSync, null,
                    new Dictionary<string, double>
                    {
                        ["kill_to_completion_p50_ms"] = Stats.Percentile(killTotal, 50),
                        ["kill_to_completion_max_ms"] = killTotal.Max(),
                        ["corosync_sync_ms"] = CorosyncKillSyncMs,
                        ["corosync_kill_to_completion_ms"] = CorosyncKillToCompletionMs,
                    }),
                BenchmarkResult.FromSamples("three-silos-stop", 3, 2, Services, stopSync, null,
                    new Dictionary<string, double>
                    {
                        ["stop_to_completion_p50_ms"] = Stats.Percentile(stopTotal, 50),
                        ["stop_to_completion_max_ms"] = stopTotal.Max(),
                        ["corosync_stop_to_completion_ms"] = CorosyncStopToCompletionMs,
                    }),
            ];
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }

    private async Task<RoundSummary> JoinAsync(IConfigurationGrain engine, List<SiloProcess> silos, CancellationToken cancellationToken)
    {
        silos.Add(BenchSilo.Start(clustering));
        var round = await SettledAsync(engine, silos, "a silo joined", cancellationToken);
        progress.WriteLine($"    join: round {round.Duration.TotalMilliseconds:F1} ms: " +
            string.Join(", ", round.Steps.Select(s => $"{s.Service} barrier {s.BarrierWait.TotalMilliseconds:F1} + processing {s.Processing.TotalMilliseconds:F1}")));
        return round;
    }

    private async Task<ClusterConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + SettleTimeout;
        while (true)
        {
            try
            {
                return await ClusterConnection.ConnectAsync(clustering, 0, cancellationToken);
            }
            catch (UserErrorException) when (DateTime.UtcNow < deadline)
            {
                // The silos are still starting.
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    /// <summary>
    /// Waits until the silo processors are exactly those of <paramref name="silos"/> and their round
    /// completed; returns that round. Every call is bounded: a request that a gateway forwarded to a silo
    /// that then died is never answered.
    /// </summary>
    private static async Task<RoundSummary> SettledAsync(IConfigurationGrain engine, IReadOnlyCollection<SiloProcess> silos, string phase, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + SettleTimeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var status = await engine.GetStatus().WaitAsync(CallTimeout, cancellationToken);
                if (SiloProcess.Settled(status, silos))
                {
                    // The round's end reaches the history a moment after its status says completed.
                    var history = await engine.GetHistory().WaitAsync(CallTimeout, cancellationToken);
                    if (history.FirstOrDefault(r => r.Epoch == status.Configuration.Epoch) is { } ended)
                    {
                        return ended;
                    }
                }
            }
            catch (Exception exception) when (exception is TimeoutException or OrleansException && DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"three silos, {phase}: the silos' round did not complete within {SettleTimeout.TotalSeconds} s; silo output:\n" +
                    string.Join("\n", silos.Select(s => s.Output)));
            }

            await Task.Delay(2, cancellationToken);
        }
    }
}
