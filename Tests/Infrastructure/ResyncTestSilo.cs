using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;
using Resync.Hosting;
using Resync.Tests.Conformance;

namespace Resync.Tests.Infrastructure;

/// <summary>The silos of the tests: the engine with three conformance services, in that order.</summary>
public sealed class ResyncTestSilo : ISiloConfigurator
{
    public static readonly ImmutableArray<string> Services = ["conf-a", "conf-b", "conf-c"];

    public void Configure(ISiloBuilder siloBuilder)
    {
        siloBuilder
            .AddResync(options =>
            {
                options.SiloProcessors = false;
                options.AbortGrace = TimeSpan.FromSeconds(1);
                options.WriteWait = TimeSpan.FromMilliseconds(300);
            })
            .AddSyncService<ConformanceA>("conf-a")
            .AddSyncService<ConformanceB>("conf-b")
            .AddSyncService<ConformanceC>("conf-c");
        if (siloBuilder.Configuration[SharedStorage.PropertyName] == "true")
        {
            siloBuilder.Services.AddKeyedSingleton<Orleans.Storage.IGrainStorage>(ResyncOptions.StorageName, (sp, _) => new SharedStorage(sp.GetRequiredService<Orleans.Serialization.Serializer>()));
        }
    }
}

/// <summary>A TestCluster of three silos running the engine; tests in one class share it.</summary>
public sealed class ResyncClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await StartAsync(silos: 3, sharedStorage: false);

    /// <summary>Starts a cluster; with <paramref name="sharedStorage"/> its state outlives it (see <see cref="SharedStorage"/>).</summary>
    public static async Task<TestCluster> StartAsync(short silos, bool sharedStorage)
    {
        var builder = new TestClusterBuilder(silos);
        builder.Properties[SharedStorage.PropertyName] = sharedStorage ? "true" : "false";
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
