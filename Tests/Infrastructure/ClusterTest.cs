using Resync.Tests.Conformance;

namespace Resync.Tests.Infrastructure;

/// <summary>
/// A test against the shared three-silo cluster: each test starts from an empty configuration with the
/// conformance controls reset, and leaves no hold armed behind it.
/// </summary>
public abstract class ClusterTest(ResyncClusterFixture fixture) : IAsyncLifetime
{
    protected ResyncDriver Driver { get; } = new(fixture.Cluster.Client, fixture.EngineClockIsControlled ? EngineClock.Tick : null);

    protected IGrainFactory Grains => fixture.Cluster.Client;

    protected Orleans.TestingHost.TestCluster Cluster => fixture.Cluster;

    public virtual Task InitializeAsync() => Driver.Reset();

    public Task DisposeAsync()
    {
        ConformanceControl.Reset();
        return Task.CompletedTask;
    }
}

/// <summary>Seeds of randomized tests: printed, and replayed from RESYNC_SEED.</summary>
public static class TestSeed
{
    /// <summary>
    /// A seeded schedule's seed and length: <paramref name="ciSeed"/> and <paramref name="ciSteps"/>, or
    /// RESYNC_SEED and RESYNC_FAULT_STEPS when set; printed with the command line that replays it.
    /// </summary>
    public static (Random Random, int Steps) Schedule(int ciSeed, int ciSteps, ITestOutputHelper output)
    {
        var seed = Environment.GetEnvironmentVariable("RESYNC_SEED") is { } given ? int.Parse(given) : ciSeed;
        var steps = Environment.GetEnvironmentVariable("RESYNC_FAULT_STEPS") is { } count ? int.Parse(count) : ciSteps;
        output.WriteLine($"seed {seed}, {steps} steps (replay with RESYNC_SEED={seed} RESYNC_FAULT_STEPS={steps})");
        return (new Random(seed), steps);
    }

    public static int Next(ITestOutputHelper output)
    {
        var seed = Environment.GetEnvironmentVariable("RESYNC_SEED") is { } given ? int.Parse(given) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (replay with RESYNC_SEED={seed})");
        return seed;
    }
}
