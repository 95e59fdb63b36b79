using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;
using Resync.Hosting;
using Resync.Runtime;
using Resync.Tests.Conformance;

namespace Resync.Tests.Infrastructure;

/// <summary>The silos of the tests: the engine with three conformance services, in that order.</summary>
public sealed class ResyncTestSilo : ISiloConfigurator
{
    public static readonly ImmutableArray<string> Services = ["conf-a", "conf-b", "conf-c"];

    /// <summary>How long a warm sequencer and barrier wait for their configuration here: short, so that tests see unused ones go.</summary>
    public static readonly TimeSpan BookkeepingWarmKeep = TimeSpan.FromSeconds(2);

    /// <summary>The property that gives a cluster deadlines short enough for tests: 400 ms per step, 2 s per round, 2.5 s without a sign of life.</summary>
    public const string ShortDeadlines = "ShortDeadlines";

    /// <summary>The property that puts the engine on <see cref="EngineClock"/>, a clock that only the tests move.</summary>
    public const string ControlledClock = "ControlledClock";

    public void Configure(ISiloBuilder siloBuilder)
    {
        siloBuilder
            .AddResync(options =>
            {
                options.Writes.Wait = TimeSpan.FromMilliseconds(300);
                options.Rounds.WarmKeep = BookkeepingWarmKeep;
                if (siloBuilder.Configuration[ShortDeadlines] == "true")
                {
                    options.Deadlines.Step = TimeSpan.FromMilliseconds(400);
                    options.Deadlines.Round = TimeSpan.FromSeconds(2);
                    options.Rounds.MaxRetryPause = TimeSpan.FromMilliseconds(200);
                    options.Rounds.StallTimeout = TimeSpan.FromSeconds(2.5);
                    options.Rounds.ActivityInterval = TimeSpan.FromMilliseconds(300);
                }
            })
            .AddSyncService<ConformanceA>("conf-a")
            .AddSyncService<ConformanceB>("conf-b")
            .AddSyncService<ConformanceC>("conf-c");
        if (siloBuilder.Configuration[ControlledClock] == "true")
        {
            siloBuilder.Services.AddKeyedSingleton<TimeProvider>(ResyncOptions.ClockKey, EngineClock.Instance);
        }

        if (siloBuilder.Configuration[SharedStorage.PropertyName] == "true")
        {
            siloBuilder.Services.AddKeyedSingleton<Orleans.Storage.IGrainStorage>(ResyncOptions.StorageName, (sp, _) => SharedStorage.Create(sp.GetRequiredService<Orleans.Serialization.Serializer>()));
        }
        else
        {
            siloBuilder.AddResyncMemoryStorage();
        }
    }
}

/// <summary>A TestCluster of three silos running the engine; tests in one class share it.</summary>
public class ResyncClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (StateOutlivesSilos)
        {
            SharedStorage.Reset();
        }

        Cluster = await StartAsync(silos: 3, StateOutlivesSilos, ShortDeadlines, ControlledClock);
    }

    /// <summary>Whether the engine's clock is <see cref="EngineClock"/>, which only the tests move.</summary>
    protected virtual bool ControlledClock => false;

    public bool EngineClockIsControlled => ControlledClock;

    /// <summary>Whether this cluster runs with <see cref="ResyncTestSilo.ShortDeadlines"/>.</summary>
    protected virtual bool ShortDeadlines => false;

    /// <summary>Whether the engine's state outlives a silo (<see cref="SharedStorage"/>), so that tests may stop and start silos.</summary>
    protected virtual bool StateOutlivesSilos => false;

    /// <summary>Starts a cluster; with <paramref name="sharedStorage"/> its state outlives it (see <see cref="SharedStorage"/>).</summary>
    public static async Task<TestCluster> StartAsync(short silos, bool sharedStorage, bool shortDeadlines = false, bool controlledClock = false)
    {
        var builder = FreshCluster.Builder(silos);
        builder.Properties[ResyncTestSilo.ControlledClock] = controlledClock ? "true" : "false";
        builder.Properties[SharedStorage.PropertyName] = sharedStorage ? "true" : "false";
        builder.Properties[ResyncTestSilo.ShortDeadlines] = shortDeadlines ? "true" : "false";
        builder.AddSiloBuilderConfigurator<ResyncTestSilo>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    public async Task DisposeAsync()
    {
        ConformanceControl.Reset();
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

/// <summary>
/// The three-silo cluster with deadlines short enough for tests of slow processors and stuck services, and
/// storage that outlives a silo, for tests that stop silos (they start as many again).
/// </summary>
public sealed class ShortDeadlineClusterFixture : ResyncClusterFixture
{
    protected override bool ShortDeadlines => true;

    protected override bool StateOutlivesSilos => true;
}

/// <summary>
/// The short-deadline cluster on <see cref="EngineClock"/>: its deadlines, stall watchdog and coalescing
/// move only when a test advances the clock, so a fault test decides when a deadline passes.
/// </summary>
public sealed class ControlledClockClusterFixture : ResyncClusterFixture
{
    protected override bool ShortDeadlines => true;

    protected override bool StateOutlivesSilos => true;

    protected override bool ControlledClock => true;
}

/// <summary>The engine's clock in clusters of <see cref="ControlledClockClusterFixture"/>; Orleans keeps its own.</summary>
public static class EngineClock
{
    /// <summary>How far a test moves the clock at a time: less than any deadline of the short-deadline clusters.</summary>
    public static readonly TimeSpan TickLength = TimeSpan.FromMilliseconds(100);

    public static Microsoft.Extensions.Time.Testing.FakeTimeProvider Instance { get; } = new(DateTimeOffset.UtcNow);

    public static void Tick() => Instance.Advance(TickLength);
}
