using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;
using Resync.Hosting;
using Resync.Replicas;

namespace Resync.Testing;

/// <summary>A silo of the kit's test cluster: Resync with memory storage, the author's registrations, and the run's recorder.</summary>
internal sealed class KitSilo : ISiloConfigurator
{
    public const string RunProperty = "Resync.Testing:Run";

    // The cluster runs in this process; a silo finds its run (the author's delegates, the recorder) by the id in its configuration.
    private static readonly ConcurrentDictionary<string, (ConformanceTarget Target, CallbackRecorder Recorder)> Runs = new();

    public static string Add(ConformanceTarget target, CallbackRecorder recorder)
    {
        var id = Guid.NewGuid().ToString("N");
        Runs[id] = (target, recorder);
        return id;
    }

    public static void Remove(string id) => Runs.TryRemove(id, out _);

    public void Configure(ISiloBuilder siloBuilder)
    {
        var (target, recorder) = Runs[siloBuilder.Configuration[RunProperty] ?? throw new InvalidOperationException($"A kit silo needs the cluster property {RunProperty}.")];
        target.Register(siloBuilder.AddResyncMemoryStorage().AddResync());
        siloBuilder.Services.AddSingleton<IReplicaObserver>(recorder);
    }
}
