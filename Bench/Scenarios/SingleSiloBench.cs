using System.Diagnostics;
using System.Diagnostics.Metrics;
using Resync.Client.Demo;
using Resync.Hosting;
using Resync.Reference;

namespace Resync.Bench.Scenarios;

/// <summary>
/// The scenarios that run on one embedded silo of logical processors: round latency against its lower
/// bound, churn, bulk transfer and memory. Every figure is measured here, in this process.
/// </summary>
internal sealed class SingleSiloBench(BenchSettings settings, TextWriter progress)
{
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromMinutes(2);
    private const string Extra = "bench-extra";
    private bool _warmedUp;

    public async Task<List<BenchmarkResult>> RunAsync(CancellationToken cancellationToken)
    {
        var results = new List<BenchmarkResult>();
        var memory = new Dictionary<int, double>();
        foreach (var services in settings.ServiceCounts)
        {
            var register = services == 3
                ? (Func<ISiloBuilder, ISiloBuilder>)(s => s.AddReferenceServices())
                : s => ProbeService.Register(s, services);
            await using var cluster = await EmbeddedCluster.StartAsync(cancellationToken, register, dashboard: false);
            var client = cluster.Client;
            var members = 0;
            double? bytesBefore = null;
            foreach (var processors in settings.ProcessorCounts)
            {
                var memoryStep = processors == settings.ProcessorCounts[^1] && settings.ProcessorCounts.Length > 1;
                if (memoryStep)
                {
                    bytesBefore = SettledHeapBytes();
                }

                var joined = await JoinUpToAsync(client, members, processors);
                if (memoryStep)
                {
                    memory[services] = (SettledHeapBytes() - bytesBefore!.Value) / (processors - members);
                }

                members = processors;
                var latency = await RoundLatencyAsync(client, processors, services, joined, cancellationToken);
                results.Add(latency);
                if (services == 3 && processors == settings.ChurnProcessors)
                {
                    results.Add(await ChurnAsync(client, processors, services, latency.P50Ms!.Value));
                }
            }
        }

        if (memory.TryGetValue(1, out var perProcessorOneService) && memory.TryGetValue(10, out var perProcessorTenServices))
        {
            var perReplica = (perProcessorTenServices - perProcessorOneService) / 9;
            results.Add(new BenchmarkResult("memory", 1, settings.ProcessorCounts[^1], 10, 1, null, null, null, null,
                new Dictionary<string, double>
                {
                    ["bytes_per_processor"] = Math.Round(perProcessorOneService - perReplica),
                    ["bytes_per_replica"] = Math.Round(perReplica),
                    ["bytes_per_processor_with_10_replicas"] = Math.Round(perProcessorTenServices),
                }));
        }

        if (settings.BulkMiB > 0)
        {
            results.Add(await BulkAsync(cancellationToken));
        }

        return results;
    }

    /// <summary>Joins processors p{members}..p{processors-1} in one change and waits for the round.</summary>
    private static async Task<Configuration> JoinUpToAsync(IClusterClient client, int members, int processors)
    {
        var configuration = client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
        var change = await configuration.Join([.. Enumerable.Range(members, processors - members).Select(Processor)]);
        await configuration.WaitForCompletedRound(change.Configuration.Epoch, RoundTimeout);
        return change.Configuration;
    }

    private static string Processor(int index) => $"p{index:D4}";

    /// <summary>
    /// Scenario 1 and 2: one more processor joins and leaves in turn (N+1 and N members); each run is
    /// timed from the change's call to the completed round's answer. The lower bound is measured just before.
    /// </summary>
    private async Task<BenchmarkResult> RoundLatencyAsync(IClusterClient client, int processors, int services, Configuration joined, CancellationToken cancellationToken)
    {
        var configuration = client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
        var run = 0;
        async Task<(double Wall, RoundSummary Round)> RoundAsync()
        {
            cancellationToken.ThrowIfCancellationRequested();
            var start = Stopwatch.GetTimestamp();
            var change = run++ % 2 == 0 ? await configuration.Join([Extra]) : await configuration.Leave([Extra]);
            var round = await configuration.WaitForCompletedRound(change.Configuration.Epoch, RoundTimeout);
            return (Stopwatch.GetElapsedTime(start).TotalMilliseconds, round);
        }

        // Steady state, as a long-running silo sees it: on 2 cores the JIT's tiered compilation takes thousands of
        // calls (several seconds) to reach optimized code; the first scenario of the process warms up the longest.
        var warmup = Stopwatch.StartNew();
        var warmupTime = settings.WarmupTime + (_warmedUp ? TimeSpan.Zero : settings.ProcessWarmupTime);
        while (run < settings.WarmupRuns || warmup.Elapsed < warmupTime)
        {
            await RoundAsync();
        }

        _warmedUp = true;
        var baseline = await Baseline.MeasureAsync(client, processors);
        var runs = settings.RunsFor(processors);
        var chain = await ContractChain.MeasureAsync(client, processors, services, runs, settings.WarmupTime / 3);
        var wall = new List<double>();
        var engine = new List<double>();
        var barriers = new List<double>();
        var processing = new List<double>();
        var (gcPause, allocated) = (GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes(precise: true));
        for (var measured = 0; measured < runs; measured++)
        {
            var (elapsed, round) = await RoundAsync();
            wall.Add(elapsed);
            engine.Add(round.Duration.TotalMilliseconds);
            barriers.Add(round.Steps.Sum(s => s.BarrierWait.TotalMilliseconds));
            processing.Add(round.Steps.Sum(s => s.Processing.TotalMilliseconds));
        }

        (gcPause, allocated) = (GC.GetTotalPauseDuration() - gcPause, GC.GetTotalAllocatedBytes(precise: true) - allocated);
        await VerifyAsync(client, services);
        var result = BenchmarkResult.FromSamples("round-latency", 1, processors, services, wall, baseline.LowerBoundMs(services),
            new Dictionary<string, double>
            {
                ["engine_round_p50_ms"] = Stats.Percentile(engine, 50),
                // Where the engine's round goes: every step's barrier, every step's processing, and the rest
                // (the barrier's opening before the first step, the last activation, the round's end).
                ["barriers_p50_ms"] = Stats.Percentile(barriers, 50),
                ["processing_p50_ms"] = Stats.Percentile(processing, 50),
                // The same round's calls with nothing behind them (ContractChain): what the contract's order costs by itself.
                ["contract_chain_p50_ms"] = chain.P50Ms,
                ["contract_chain_over_lower_bound"] = chain.P50Ms / baseline.LowerBoundMs(services),
                ["round_trip_ms"] = baseline.RoundTripMs,
                ["per_call_us"] = baseline.PerCallMs * 1000,
                ["warmup_runs"] = run - runs,
                // The whole process, the benchmark's client included.
                ["gc_pause_ms_per_round"] = gcPause.TotalMilliseconds / runs,
                ["allocated_kib_per_round"] = allocated / 1024.0 / runs,
            });
        progress.WriteLine($"  round latency N={processors} S={services}: p50 {result.P50Ms:F3} ms, lower bound {result.LowerBoundMs:F3} ms, the contract's bare chain of calls {chain.P50Ms:F3} ms");
        return result;
    }

    /// <summary>Every member's replicas agree: the reference services' state check, or every probe replica installed every member's record.</summary>
    private static async Task VerifyAsync(IClusterClient client, int services)
    {
        if (services == 3)
        {
            var (identical, lines) = await StateCheck.RunAsync(client);
            if (!identical)
            {
                throw new InvalidOperationException("replicas differ after the benchmark: " + string.Join("; ", lines));
            }

            return;
        }

        var members = (await client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key).GetConfiguration()).Members;
        var records = await Task.WhenAll(Enumerable.Range(0, services)
            .SelectMany(s => members.Select(m => ProbeService.Replica(client, s, m).GetActivatedRecords())));
        if (records.Any(r => r != members.Length))
        {
            throw new InvalidOperationException($"probe replicas installed {string.Join(",", records.Distinct())} records, not {members.Length}");
        }
    }

    /// <summary>
    /// Scenario 4: bursts of 100 changes back to back, each followed by the wait for its last change's round;
    /// p50 is a whole burst, and the figure to hold against one round is the time from the last change to its completed round.
    /// </summary>
    private async Task<BenchmarkResult> ChurnAsync(IClusterClient client, int processors, int services, double oneRoundMs)
    {
        var configuration = client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
        using var rounds = new RoundCounter();
        var totals = new List<double>();
        var afterLast = new List<double>();
        var untilStart = new List<double>();
        var lastRound = new List<double>();
        for (var burst = 0; burst < settings.ChurnBursts; burst++)
        {
            var start = Stopwatch.GetTimestamp();
            Configuration last = null!;
            for (var change = 0; change < settings.ChurnChanges; change++)
            {
                var name = $"churn-{change / 2}";
                last = (change % 2 == 0 ? await configuration.Join([name]) : await configuration.Leave([name])).Configuration;
            }

            var lastChange = Stopwatch.GetTimestamp();
            var lastChangeAt = DateTimeOffset.UtcNow;
            var round = await configuration.WaitForCompletedRound(last.Epoch, RoundTimeout);
            totals.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            afterLast.Add(Stopwatch.GetElapsedTime(lastChange).TotalMilliseconds);
            // The engine's clock is this process's system clock: the round began at its end less its duration.
            untilStart.Add((round.EndedAt - round.Duration - lastChangeAt).TotalMilliseconds);
            lastRound.Add(round.Duration.TotalMilliseconds);
            await VerifyAsync(client, services);
        }

        var bursts = settings.ChurnBursts;
        progress.WriteLine($"  churn: {bursts} bursts of {settings.ChurnChanges} changes; last round done {string.Join(", ", afterLast.Select(a => a.ToString("F3")))} ms after the last change; {rounds.Started} rounds started");
        return BenchmarkResult.FromSamples("churn", 1, processors, services, totals, null,
            new Dictionary<string, double>
            {
                ["changes"] = settings.ChurnChanges,
                ["last_change_to_completed_p50_ms"] = Stats.Percentile(afterLast, 50),
                ["last_change_to_completed_max_ms"] = afterLast.Max(),
                ["last_change_to_round_start_p50_ms"] = Stats.Percentile(untilStart, 50),
                ["last_round_engine_p50_ms"] = Stats.Percentile(lastRound, 50),
                ["one_round_p50_ms"] = oneRoundMs,
                ["rounds_started_per_burst"] = (double)rounds.Started / bursts,
                ["rounds_aborted_per_burst"] = (double)rounds.Aborted / bursts,
                ["rounds_completed_per_burst"] = (double)rounds.Completed / bursts,
            });
    }

    /// <summary>Scenario 5: a processor joins three members that hold the checkpoints; the ckpt step's throughput.</summary>
    public async Task<BenchmarkResult> BulkAsync(CancellationToken cancellationToken)
    {
        await using var cluster = await EmbeddedCluster.StartAsync(cancellationToken, dashboard: false);
        var client = cluster.Client;
        var configuration = client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
        await JoinUpToAsync(client, 0, 3);
        var bytes = await BulkData.WriteAsync(client.GetGrain<ICkptService>(Processor(0)), settings.BulkMiB);
        var raw = await BulkData.BestOfThreeAsync(() =>
            Baseline.MeasureByteThroughputAsync(client.GetGrain<IPingGrain>(Random.Shared.NextInt64()).Take, CkptOptions.DefaultChunkBytes, bytes));

        var wall = new List<double>();
        var rounds = new List<double>();
        var ckptSteps = new List<double>();
        var joiner = Processor(3);
        for (var run = 0; run < settings.BulkRuns; run++)
        {
            var start = Stopwatch.GetTimestamp();
            var change = await configuration.Join([joiner]);
            var round = await configuration.WaitForCompletedRound(change.Configuration.Epoch, RoundTimeout);
            wall.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            // Within one silo the chunks travel without a copy.
            rounds.Add(round.Duration.TotalMilliseconds);
            ckptSteps.Add(BulkData.CkptStepMs(round));
            await VerifyAsync(client, 3);
            var failed = await configuration.Fail([joiner]);
            await configuration.WaitForCompletedRound(failed.Configuration.Epoch, RoundTimeout);
        }

        return BenchmarkResult.FromSamples("bulk-transfer", 1, 4, 3, wall, null, BulkData.Figures("bulk", bytes, rounds, ckptSteps, raw, progress));
    }

    private static double SettledHeapBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Counts the engine's round instruments in this process while it lives.</summary>
    private sealed class RoundCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _started;
        private long _aborted;
        private long _completed;

        public RoundCounter()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "Resync" && instrument.Name.StartsWith("resync.rounds.", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
            {
                switch (instrument.Name)
                {
                    case "resync.rounds.started": Interlocked.Add(ref _started, value); break;
                    case "resync.rounds.aborted": Interlocked.Add(ref _aborted, value); break;
                    case "resync.rounds.completed": Interlocked.Add(ref _completed, value); break;
                }
            });
            _listener.Start();
        }

        public long Started => Interlocked.Read(ref _started);

        public long Aborted => Interlocked.Read(ref _aborted);

        public long Completed => Interlocked.Read(ref _completed);

        public void Dispose() => _listener.Dispose();
    }
}
