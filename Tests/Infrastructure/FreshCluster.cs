using Orleans.TestingHost;

namespace Resync.Tests.Infrastructure;

/// <summary>A TestCluster of its own for one test: deployed, handed to the test, and stopped afterwards whatever happens.</summary>
public static class FreshCluster
{
    public static async Task RunAsync<TSiloConfigurator>(short silos, Func<TestCluster, Task> test, Action<TestClusterBuilder>? configure = null)
        where TSiloConfigurator : ISiloConfigurator, new()
    {
        var builder = new TestClusterBuilder(silos);
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
