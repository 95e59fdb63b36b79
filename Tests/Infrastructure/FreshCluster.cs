using Orleans.TestingHost;

namespace Resync.Tests.Infrastructure;

/// <summary>A TestCluster of its own for one test: deployed, handed to the test, and stopped afterwards whatever happens.</summary>
public static class FreshCluster
{
    /// <summary>
    /// A builder for a cluster with an id of its own: a silo of an earlier test cluster that outlived its stop (seen
    /// after a grain migration) must not be joined by a later cluster that reuses its ports.
    /// </summary>
    public static TestClusterBuilder Builder(short silos)
    {
        var builder = new TestClusterBuilder(silos);
        builder.Options.ClusterId = $"resync-{Guid.NewGuid():N}";
        return builder;
    }

    public static async Task RunAsync<TSiloConfigurator>(short silos, Func<TestCluster, Task> test, Action<TestClusterBuilder>? configure = null)
        where TSiloConfigurator : ISiloConfigurator, new()
    {
        var builder = Builder(silos);
        builder.AddSiloBuilderConfigurator<TSiloConfigurator>();
        configure?.Invoke(builder);
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            await test(cluster);
        }
        finally
        {
            await cluster.StopAllSilosAsync();
            await cluster.DisposeAsync();
        }
    }
}
