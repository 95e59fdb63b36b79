using Resync.Bench.Processes;
using Resync.Client;
using Resync.Clustering;
using Resync.Reference;

namespace Resync.Bench.Scenarios;

/// <summary>
/// Scenario 3: three silo processes over TCP on PostgreSQL clustering, S = 4 (CLM, EVT, CKPT and a probe
/// service), one silo processor per silo. Two silos stay up and first run rounds for a while (the warm-up); the
/// third joins, is killed with SIGKILL, joins again and is stopped cleanly, once as a first cycle reported apart,
/// then <see cref="BenchSettings.ProcessRuns"/> times. For each event: the sync
/// phase (the engine's round, first barrier to last activation) and, for a kill or a stop, the time from
/// the signal to the end of the survivors' completed round. Every time is the engine's own: a round's
/// duration and end come from the round history; the signal's time from this process, on the same machine.
/// </summary>
internal sealed class ThreeSiloBench(BenchSettings settings, ClusteringSettings clustering, TextWriter progress)
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(2);
    private const int Services = 4;
    private const int ChainRuns = 200;
    private static readonly TimeSpan ChainWarmup = TimeSpan.FromSeconds(1);

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
            var roundTrip = await RoundTripAsync(connection.Client, engine, cancellationToken);
            // The floor under a sync phase: S+1 barrier rounds, each at least one round trip between silos.
            var lowerBound = (Services + 1) * roundTrip;

            var warmupRounds = await WarmUpAsync(engine, cancellationToken);
            List<double> joinSync = [], killSync = [], killTotal = [], stopSync = [], stopTotal = [];
            List<double> firstJoin = [], firstKill = [], firstStop = [];
            // Run 0 is the first join, kill and stop in the life of these silo processes: each runs code for the
            // first time (Orleans' handling of a dead silo compiled 287 methods in one measured kill). It is
            // reported apart (first_*_ms), and the figures are of the runs after it, as a long-running cluster sees.
            for (var run = 0; run <= settings.ProcessRuns; run++)
            {
                progress.WriteLine(run == 0 ? "  three silos: first cycle (reported apart)" : $"  three silos: run {run} of {settings.ProcessRuns}");
                var (joins, kills, stops) = run == 0 ? (firstJoin, firstKill, firstStop) : (joinSync, killSync, stopSync);
                joins.Add((await JoinAsync(engine, silos, cancellationToken)).Duration.TotalMilliseconds);

                var killed = silos[^1];
                var beforeKill = (await engine.GetConfiguration().WaitAsync(CallTimeout, cancellationToken)).Epoch;
                var killedAt = DateTimeOffset.UtcNow;
                killed.Kill();
                silos.Remove(killed);
                await killed.DisposeAsync();
                var afterKill = await SettledAsync(engine, silos, "after a kill -9", cancellationToken);
                await DescribeRoundsAsync(engine, "kill", beforeKill, killedAt, cancellationToken);
                kills.Add(afterKill.Duration.TotalMilliseconds);
                if (run > 0)
                {
                    killTotal.Add((afterKill.EndedAt - killedAt).TotalMilliseconds);
                }

                joins.Add((await JoinAsync(engine, silos, cancellationToken)).Duration.TotalMilliseconds);

                var stopped = silos[^1];
                var beforeStop = (await engine.GetConfiguration().WaitAsync(CallTimeout, cancellationToken)).Epoch;
                var stoppedAt = DateTimeOffset.UtcNow;
                stopped.Stop();
                silos.Remove(stopped);
                var afterStop = await SettledAsync(engine, silos, "after a clean stop", cancellationToken);
                await DescribeRoundsAsync(engine, "stop", beforeStop, stoppedAt, cancellationToken);
                stops.Add(afterStop.Duration.TotalMilliseconds);
                if (run > 0)
                {
                    stopTotal.Add((afterStop.EndedAt - stoppedAt).TotalMilliseconds);
                }

                await stopped.DisposeAsync();
            }

            silos.Add(BenchSilo.Start(clustering));
            await SettledAsync(engine, silos, "the third silo joined for the contract's chain and the bulk transfer", cancellationToken);
            var (chainOfThree, chainOfTwo) = await ContractChainsAsync(connection.Client, engine, cancellationToken);
            List<BenchmarkResult> bulk = [];
            if (settings.BulkMiB > 0)
            {
                bulk.Add(await BulkAsync(connection.Client, engine, cancellationToken));
            }

            // corosync 3, three nodes and its four services, measured in the same run (scripts/corosync/side-by-side.sh).
            progress.WriteLine("  corosync: three nodes side by side");
            var corosync = await new Corosync(progress).RunAsync(settings.ProcessRuns, cancellationToken);
            if (corosync.Skipped is { } why)
            {
                progress.WriteLine($"  corosync: skipped: {why}");
            }

            return
            [
                .. bulk,
                BenchmarkResult.FromSamples("three-silos-join", 3, 3, Services, joinSync, lowerBound,
                    new Dictionary<string, double>
                    {
                        ["cross_silo_round_trip_ms"] = roundTrip,
                        ["contract_chain_ms"] = chainOfThree,
                        ["warmup_rounds"] = warmupRounds,
                        ["first_join_ms"] = firstJoin.Max(),
                    }.WithCorosync(corosync.Join, joinSync, whole: null)),
                BenchmarkResult.FromSamples("three-silos-kill", 3, 2, Services, killSync, lowerBound,
                    new Dictionary<string, double>
                    {
                        ["cross_silo_round_trip_ms"] = roundTrip,
                        ["contract_chain_ms"] = chainOfTwo,
                        ["first_kill_ms"] = firstKill[0],
                        ["kill_to_completion_p50_ms"] = Stats.Percentile(killTotal, 50),
                        ["kill_to_completion_max_ms"] = killTotal.Max(),
                    }.WithCorosync(corosync.Kill, killSync, whole: ("kill_to_completion", killTotal))),
                BenchmarkResult.FromSamples("three-silos-stop", 3, 2, Services, stopSync, lowerBound,
                    new Dictionary<string, double>
                    {
                        ["cross_silo_round_trip_ms"] = roundTrip,
                        ["contract_chain_ms"] = chainOfTwo,
                        ["first_stop_ms"] = firstStop[0],
                        ["stop_to_completion_p50_ms"] = Stats.Percentile(stopTotal, 50),
                        ["stop_to_completion_max_ms"] = stopTotal.Max(),
                    }.WithCorosync(corosync.Stop, stopSync, whole: ("stop_to_completion", stopTotal))),
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

    /// <summary>
    /// Rounds between the two silos for <see cref="WarmupTime"/> (a logical processor joins and leaves), before any
    /// figure: on 2 cores the JIT's tiered compilation of a young process's hot paths otherwise runs during the rounds
    /// it measures, as the one-silo scenarios found. Returns how many rounds it ran.
    /// </summary>
    private async Task<int> WarmUpAsync(IConfigurationGrain engine, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var rounds = 0;
        while (clock.Elapsed < WarmupTime)
        {
            await JoinedAsync(engine, engine.Join(["warm-up"]), cancellationToken);
            await JoinedAsync(engine, engine.Leave(["warm-up"]), cancellationToken);
            rounds += 2;
        }

        await JoinedAsync(engine, engine.Fail(["warm-up"]), cancellationToken);
        progress.WriteLine($"  three silos: warmed up with {rounds} rounds in {clock.Elapsed.TotalSeconds:F1} s");
        return rounds;
    }

    private TimeSpan WarmupTime => settings.ProcessWarmupTime == TimeSpan.Zero ? TimeSpan.FromSeconds(1) : settings.ProcessWarmupTime;

    /// <summary>
    /// Scenario 5 between silos: the three silo processors hold <see cref="BenchSettings.BulkMiB"/> of
    /// checkpoints, and a logical processor joins empty on another silo than the one that sends them (the
    /// lowest holder), so that every byte crosses TCP, serialized. Throughput is over the whole join round
    /// (the joiner assembles at the final activation); raw is sequential 64 KiB grain calls between the same
    /// two silos, the best of three.
    /// </summary>
    private async Task<BenchmarkResult> BulkAsync(IClusterClient client, IConfigurationGrain engine, CancellationToken cancellationToken)
    {
        var holders = await SiloProcessorsAsync(engine, cancellationToken);
        var sender = holders[0];
        var bytes = await BulkData.WriteAsync(client.GetGrain<ICkptService>(sender), settings.BulkMiB);

        // A logical processor's silo follows from its id; the CLM view says where it went.
        string? joiner = null, joinerSilo = null;
        for (var candidate = 0; joiner is null; candidate++)
        {
            var id = $"bulk-{candidate}";
            await JoinedAsync(engine, engine.Join([id]), cancellationToken);
            var view = await client.GetGrain<IClmService>(sender).GetView();
            var address = view.Members.Single(m => m.Processor == id).Address;
            if (address != view.Members.Single(m => m.Processor == sender).Address)
            {
                (joiner, joinerSilo) = (id, view.Members.Single(m => ProcessorId.IsSilo(m.Processor) && m.Address == address).Processor);
            }

            await JoinedAsync(engine, engine.Fail([id]), cancellationToken);
        }

        var raw = await BulkData.BestOfThreeAsync(() => client.GetGrain<ISiloLinkGrain>(sender).SendTo(joinerSilo!, bytes, CkptOptions.DefaultChunkBytes));

        var rounds = new List<double>();
        var ckptSteps = new List<double>();
        for (var run = 0; run < settings.BulkRuns; run++)
        {
            var round = await JoinedAsync(engine, engine.Join([joiner]), cancellationToken);
            rounds.Add(round.Duration.TotalMilliseconds);
            ckptSteps.Add(BulkData.CkptStepMs(round));
            var (expected, received) = (await client.GetGrain<ICkptService>(sender).GetDigest(), await client.GetGrain<ICkptService>(joiner).GetDigest());
            if (expected != received)
            {
                throw new InvalidOperationException($"three silos, bulk: {joiner} holds checkpoints with digest {received}, the sender {expected}.");
            }

            await JoinedAsync(engine, engine.Fail([joiner]), cancellationToken);
        }

        return BenchmarkResult.FromSamples("bulk-transfer-three-silos", 3, 4, Services, rounds, null,
            BulkData.Figures("bulk between silos", bytes, rounds, ckptSteps, raw, progress));
    }

    /// <summary>
    /// The contract's chain of calls with nothing behind them (<see cref="ContractChain"/>), over the three silo
    /// processors (a join's members) and over two (a kill's or a stop's), conducted on the first one's silo.
    /// </summary>
    private async Task<(double Three, double Two)> ContractChainsAsync(IClusterClient client, IConfigurationGrain engine, CancellationToken cancellationToken)
    {
        var members = await SiloProcessorsAsync(engine, cancellationToken);
        var three = await ContractChain.MeasureAsync(client, members[0], members, Services, ChainRuns, ChainWarmup).WaitAsync(SettleTimeout, cancellationToken);
        var two = await ContractChain.MeasureAsync(client, members[0], members[..2], Services, ChainRuns, ChainWarmup).WaitAsync(SettleTimeout, cancellationToken);
        progress.WriteLine($"  three silos: the contract's bare chain of calls, S={Services}: {three.P50Ms:F3} ms over three silos, {two.P50Ms:F3} ms over two");
        return (three.P50Ms, two.P50Ms);
    }

    /// <summary>The median round trip of a no-op grain call from one silo to another (the first two silo processors).</summary>
    private static async Task<double> RoundTripAsync(IClusterClient client, IConfigurationGrain engine, CancellationToken cancellationToken)
    {
        var processors = await SiloProcessorsAsync(engine, cancellationToken);
        return await client.GetGrain<ISiloLinkGrain>(processors[0]).RoundTrip(processors[1], 400).WaitAsync(SettleTimeout, cancellationToken);
    }

    /// <summary>The configuration's silo processors, in its (ordinal) order.</summary>
    private static async Task<ImmutableArray<string>> SiloProcessorsAsync(IConfigurationGrain engine, CancellationToken cancellationToken) =>
        [.. (await engine.GetConfiguration().WaitAsync(CallTimeout, cancellationToken)).Members.Where(ProcessorId.IsSilo)];

    /// <summary>The completed round of the change, from the history.</summary>
    private static async Task<RoundSummary> JoinedAsync(IConfigurationGrain engine, Task<ConfigurationChange> change, CancellationToken cancellationToken)
    {
        var epoch = (await change.WaitAsync(CallTimeout, cancellationToken)).Configuration.Epoch;
        return await engine.WaitForCompletedRound(epoch, SettleTimeout).WaitAsync(SettleTimeout + CallTimeout, cancellationToken);
    }

    /// <summary>Every round that a kill or a stop caused, with its end after the signal and its steps: where the time went.</summary>
    private async Task DescribeRoundsAsync(IConfigurationGrain engine, string what, long before, DateTimeOffset signalledAt, CancellationToken cancellationToken)
    {
        var history = await engine.GetHistory().WaitAsync(CallTimeout, cancellationToken);
        foreach (var round in history.Where(r => r.Epoch > before))
        {
            progress.WriteLine($"    {what}: epoch {round.Epoch} {round.Outcome} {(round.EndedAt - signalledAt).TotalMilliseconds:F0} ms after the signal, " +
                $"round {round.Duration.TotalMilliseconds:F1} ms ({Describe(round.Steps)}){(round.AbortReason is { } reason ? ": " + reason : "")}");
        }
    }

    private static string Describe(IEnumerable<StepTiming> steps) =>
        string.Join(", ", steps.Select(s => $"{s.Service} barrier {s.BarrierWait.TotalMilliseconds:F1} + processing {s.Processing.TotalMilliseconds:F1}"));

    private async Task<RoundSummary> JoinAsync(IConfigurationGrain engine, List<SiloProcess> silos, CancellationToken cancellationToken)
    {
        silos.Add(BenchSilo.Start(clustering));
        var round = await SettledAsync(engine, silos, "a silo joined", cancellationToken);
        progress.WriteLine($"    join: round {round.Duration.TotalMilliseconds:F1} ms: {Describe(round.Steps)}");
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
    /// Waits until the silo processors are exactly those of <paramref name="silos"/> and their round completed;
    /// returns that round. It asks only the configuration (every <see cref="ConfigurationPoll"/>) until the
    /// members are right, then waits for the round's completion in one call: a status query every few milliseconds
    /// reaches the sequencer and the barrier and took CPU from the very round it measured (BENCHMARKS.md, the
    /// join's profile). Every call is bounded: a request that a gateway forwarded to a silo that then died is never answered.
    /// </summary>
    private static async Task<RoundSummary> SettledAsync(IConfigurationGrain engine, IReadOnlyCollection<SiloProcess> silos, string phase, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + SettleTimeout;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var configuration = await engine.GetConfiguration().WaitAsync(CallTimeout, cancellationToken);
                if (SiloProcess.HasExactly(configuration, silos))
                {
                    var left = deadline - DateTime.UtcNow;
                    var round = await engine.WaitForCompletedRound(configuration.Epoch, left).WaitAsync(left + CallTimeout, cancellationToken);
                    var now = await engine.GetConfiguration().WaitAsync(CallTimeout, cancellationToken);
                    if (round.Epoch == now.Epoch && SiloProcess.HasExactly(now, silos))
                    {
                        return round;
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

            await Task.Delay(ConfigurationPoll, cancellationToken);
        }
    }

    private static readonly TimeSpan ConfigurationPoll = TimeSpan.FromMilliseconds(20);
}
