using Resync.Hosting;
using Resync.Client;
using Resync.Client.Demo;
using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Operations;

/// <summary>
/// The client's embedded silo with its HTTP endpoints and dashboard, running the conformance services (so that a
/// test can hold a round at a callback), and an HTTP client of it.
/// </summary>
public sealed class OperationsFixture : IAsyncLifetime
{
    public EmbeddedCluster Cluster { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public ResyncDriver Driver { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await EmbeddedCluster.StartAsync(
            CancellationToken.None,
            silo => silo.AddSyncService<ConformanceA>("conf-a").AddSyncService<ConformanceB>("conf-b").AddSyncService<ConformanceC>("conf-c"));
        Http = new HttpClient { BaseAddress = Cluster.HttpAddress, Timeout = TimeSpan.FromSeconds(10) };
        Driver = new ResyncDriver(Cluster.Client);
    }

    /// <summary>Runs the client console against the embedded silo, as an operator would; fails the test unless it succeeds.</summary>
    public async Task RunClient(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await ResyncCli.RunAsync([.. args, "--gateway-port", Cluster.Endpoint.GatewayPort.ToString()], output, error);
        Assert.True(exit == ExitCodes.Success, $"resync {string.Join(" ", args)}: exit {exit}; {error}{output}");
    }

    public async Task DisposeAsync()
    {
        ConformanceControl.Reset();
        Http.Dispose();
        await Cluster.DisposeAsync();
    }
}
