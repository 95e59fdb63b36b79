using Orleans.Hosting;

namespace Resync.Testing;

/// <summary>What a service author gives the conformance kit: the service, how a silo registers it, and how to read a replica's state.</summary>
public sealed class ConformanceTarget
{
    /// <summary>The name the service is registered under.</summary>
    public required string Service { get; init; }

    /// <summary>Registers the service (and whatever else it needs) on a test silo, e.g. <c>silo =&gt; silo.AddSyncService&lt;MapService&gt;("map")</c>.</summary>
    public required Func<ISiloBuilder, ISiloBuilder> Register { get; init; }

    /// <summary>
    /// A replica's state as a string, read through the cluster's client: a digest, or any rendering in which equal
    /// strings mean equal states. The kit compares the replicas of every member after each scenario.
    /// </summary>
    public required Func<IGrainFactory, string, Task<string>> ReadState { get; init; }

    /// <summary>
    /// A client write through a processor (the int numbers the writes of a scenario), if the service takes writes: the kit
    /// writes between rounds, where every write must succeed, and while rounds run, where it may be refused.
    /// </summary>
    public Func<IGrainFactory, string, int, Task>? Write { get; init; }

    /// <summary>How many silos the test cluster has; the processors are spread over them.</summary>
    public short Silos { get; init; } = 2;

    /// <summary>The seed of the storm's and the racing writes' choices (which processor, which change); the report names it. Timing still varies between runs.</summary>
    public int Seed { get; init; } = Random.Shared.Next();

    /// <summary>How long a scenario may wait for a round or a phase before it reports that as a violation.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);
}
