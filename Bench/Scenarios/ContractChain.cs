using System.Diagnostics;
using Resync.Placement;
using Resync.Runtime;

namespace Resync.Bench.Scenarios;

/// <summary>
/// The contract's chain of calls with nothing behind them: what a round of this shape costs in grain calls
/// alone, with one barrier per step (contract items 2-5). The conductor's enter notice to every node, whose
/// request for barrier 0 follows; then, at every completed barrier k, a step notice to every node, which on its
/// own activates its replica of service k-1, runs (gates, inits, processes) its replica of service k and sends its
/// request for barrier k+1; the barrier's last arrival tells the conductor. After the last barrier, every node
/// activates its replica of the last service. The engine makes the same calls (and persists, delivers, checks
/// epochs and keeps deadlines); this makes them and nothing else.
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
    [Alias("Enter")] Task Enter(string conductor, int members);

    [Alias("Step")] Task Step(string conductor, int step, int members);

    [Alias("Finish")] Task Finish(int lastStep);
}

/// <summary>A node's replicas, one grain for every service (the engine has one per service): a floor may only count fewer.</summary>
[Alias("resync.bench.IChainReplicaGrain")]
public interface IChainReplicaGrain : IGrainWithStringKey
{
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
        var completed = Expect();
        var notices = Task.WhenAll(nodes.Select(node => GrainFactory.Reference<IChainNodeGrain>(node).Enter(conductor, nodes.Length)));
        await completed;
        for (var step = 0; step < services; step++)
        {
            completed = Expect();
            var current = step;
            notices = Task.WhenAll(nodes.Select(node => GrainFactory.Reference<IChainNodeGrain>(node).Step(conductor, current, nodes.Length)));
            await completed;
        }

        await notices;
        await Task.WhenAll(nodes.Select(node => GrainFactory.Reference<IChainNodeGrain>(node).Finish(services - 1)));
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    private Task Expect()
    {
        _barrier = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return _barrier.Task;
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
    public Task Enter(string conductor, int members) =>
        GrainFactory.Reference<IChainBarrierGrain>(conductor).Arrive(0, members);

    public async Task Step(string conductor, int step, int members)
    {
        var replica = GrainFactory.Reference<IChainReplicaGrain>(this.GetPrimaryKeyString());
        if (step > 0)
        {
            await replica.Activate(step - 1);
        }

        await replica.Run(step);
        await GrainFactory.Reference<IChainBarrierGrain>(conductor).Arrive(step + 1, members);
    }

    public Task Finish(int lastStep) => GrainFactory.Reference<IChainReplicaGrain>(this.GetPrimaryKeyString()).Activate(lastStep);
}

[Orleans.Concurrency.Reentrant, ProcessorPlacement]
public sealed class ChainReplicaGrain : Grain, IChainReplicaGrain
{
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
