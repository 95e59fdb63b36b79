using System.Diagnostics;
using Resync.Hosting;
using Resync.Placement;

namespace Resync.Client.Benchmarks;

/// <summary>
/// The contract's chain of calls with nothing behind them: what a round of this shape costs in grain calls
/// alone. Per step, as contract items 2-5 order them: the conductor's notice to every node; each node
/// activates its replica of the previous service while it gates its replica of this one, then sends its
/// request to the barrier; the barrier's last arrival tells the conductor, which runs every node's replica
/// of this service. At the end, every node activates its replica of the last service. The engine makes the
/// same calls (and persists, delivers, checks epochs and keeps deadlines); this makes them and nothing else.
/// </summary>
public sealed record ContractChain(double P50Ms)
{
    /// <summary>
    /// The median of <paramref name="runs"/> rounds over <paramref name="nodes"/>, conducted on the silo that
    /// <paramref name="conductor"/> names (<see cref="ProcessorPlacement"/>: a silo processor's id pins it there)
    /// and timed there, from the first notice to the last activation, as the engine times its own rounds;
    /// after rounds for <paramref name="warmup"/>.
    /// </summary>
    public static async Task<ContractChain> MeasureAsync(IClusterClient client, string conductor, ImmutableArray<string> nodes, int services, int runs, TimeSpan warmup)
    {
        var chain = client.GetGrain<IChainConductorGrain>(conductor);
        var warming = Stopwatch.StartNew();
        do
        {
            await chain.Run(nodes, services);
        }
        while (warming.Elapsed < warmup);

        var times = new List<double>(runs);
        for (var run = 0; run < runs; run++)
        {
            times.Add(await chain.Run(nodes, services));
        }

        return new ContractChain(Stats.Percentile(times, 50));
    }

    /// <summary>Within one silo: <paramref name="processors"/> nodes of their own, so that two measurements never share a grain.</summary>
    public static Task<ContractChain> MeasureAsync(IClusterClient client, int processors, int services, int runs, TimeSpan warmup)
    {
        var id = $"chain{Random.Shared.NextInt64():x}";
        return MeasureAsync(client, id, [.. Enumerable.Range(0, processors).Select(n => $"{id}.{n}")], services, runs, warmup);
    }
}

[Alias("resync.bench.IChainConductorGrain")]
public interface IChainConductorGrain : IGrainWithStringKey
{
    /// <summary>One round over <paramref name="nodes"/> and <paramref name="services"/> services; its duration in milliseconds, as the conductor measures it.</summary>
    [Alias("Run")] Task<double> Run(ImmutableArray<string> nodes, int services);

    [Alias("BarrierCompleted")] Task BarrierCompleted(int step);
}

[Alias("resync.bench.IChainNodeGrain")]
public interface IChainNodeGrain : IGrainWithStringKey
{
    [Alias("Prepare")] Task Prepare(string conductor, int step, int members);

    [Alias("Complete")] Task Complete(int lastStep);
}

/// <summary>A node's replicas, one grain for every service (the engine has one per service): a floor may only count fewer.</summary>
[Alias("resync.bench.IChainReplicaGrain")]
public interface IChainReplicaGrain : IGrainWithStringKey
{
    [Alias("Gate")] Task Gate(int step);

    [Alias("Activate")] Task Activate(int step);

    [Alias("Run")] Task Run(int step);
}

[Alias("resync.bench.IChainBarrierGrain")]
public interface IChainBarrierGrain : IGrainWithStringKey
{
    [Alias("Arrive")] Task Arrive(int step, int members);
}

/// <summary>Reentrant, as the sequencer: the barrier's completion comes in while the round awaits it.</summary>
[Orleans.Concurrency.Reentrant, ProcessorPlacement]
public sealed class ChainConductorGrain : Grain, IChainConductorGrain
{
    private TaskCompletionSource? _barrier;

    public async Task<double> Run(ImmutableArray<string> nodes, int services)
    {
        var start = Stopwatch.GetTimestamp();
        var conductor = this.GetPrimaryKeyString();
        for (var step = 0; step < services; step++)
        {
            var completed = _barrier = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var notices = Task.WhenAll(nodes.Select(node => GrainFactory.Reference<IChainNodeGrain>(node).Prepare(conductor, step, nodes.Length)));
            await completed.Task;
            var current = step;
            await Task.WhenAll(nodes.Select(node => GrainFactory.Reference<IChainReplicaGrain>(node).Run(current)));
            await notices;
        }

        await Task.WhenAll(nodes.Select(node => GrainFactory.Reference<IChainNodeGrain>(node).Complete(services - 1)));
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    public Task BarrierCompleted(int step)
    {
        _barrier?.TrySetResult();
        return Task.CompletedTask;
    }
}

/// <summary>Reentrant, as the processor grain; on its processor's silo, as the processor grain.</summary>
[Orleans.Concurrency.Reentrant, ProcessorPlacement]
public sealed class ChainNodeGrain : Grain, IChainNodeGrain
{
    public async Task Prepare(string conductor, int step, int members)
    {
        var replica = GrainFactory.Reference<IChainReplicaGrain>(this.GetPrimaryKeyString());
        var gated = replica.Gate(step);
        if (step > 0)
        {
            await replica.Activate(step - 1);
        }

        await gated;
        await GrainFactory.Reference<IChainBarrierGrain>(conductor).Arrive(step, members);
    }

    public Task Complete(int lastStep) => GrainFactory.Reference<IChainReplicaGrain>(this.GetPrimaryKeyString()).Activate(lastStep);
}

[Orleans.Concurrency.Reentrant, ProcessorPlacement]
public sealed class ChainReplicaGrain : Grain, IChainReplicaGrain
{
    public Task Gate(int step) => Task.CompletedTask;

    public Task Activate(int step) => Task.CompletedTask;

    public Task Run(int step) => Task.CompletedTask;
}

/// <summary>Counts a step's requests; the last one tells the conductor before it is answered, as the barrier grain does.</summary>
[ProcessorPlacement]
public sealed class ChainBarrierGrain : Grain, IChainBarrierGrain
{
    private readonly Dictionary<int, int> _arrived = [];

    public async Task Arrive(int step, int members)
    {
        var arrived = _arrived[step] = _arrived.GetValueOrDefault(step) + 1;
        if (arrived == members)
        {
            _arrived.Remove(step);
            await GrainFactory.Reference<IChainConductorGrain>(this.GetPrimaryKeyString()).BarrierCompleted(step);
        }
    }
}
