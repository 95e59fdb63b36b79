using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;
using Resync.Hosting;
using Resync.Reference;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Reference;

/// <summary>Silos that run the reference services CLM, EVT and CKPT, with small chunks so transfers take many process calls.</summary>
public sealed class ReferenceTestSilo : ISiloConfigurator
{
    public const int ChunkBytes = 1024;

    public void Configure(ISiloBuilder siloBuilder)
    {
        siloBuilder.AddResyncMemoryStorage().AddResync(options =>
        {
            options.Writes.Wait = TimeSpan.FromMilliseconds(500);
            // A few chunks per batch: a transfer's deliveries are fetched, between silos, in many batches.
            options.Transfer.DeliveryBatchBytes = 4 * ChunkBytes;
            // Whole chunks go straight to their recipients; what is left of a section, and everything else, through the sequencer.
            options.Transfer.ForwardBytes = ChunkBytes;
        }).AddReferenceServices();
        siloBuilder.Services.Configure<CkptOptions>(options =>
        {
            options.ChunkBytes = ChunkBytes;
            options.MaxSectionBytes = 1024 * 1024;
            options.MaxCheckpointBytes = 32L * 1024 * 1024;
        });
    }
}

public sealed class ReferenceClusterFixture : IAsyncLifetime
{
    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = FreshCluster.Builder(3);
        builder.AddSiloBuilderConfigurator<ReferenceTestSilo>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ReferenceCollection : ICollectionFixture<ReferenceClusterFixture>
{
    public const string Name = "reference";
}
