using System.Text.Json;
using Resync.Client;
using Resync.Client.Demo;

namespace Resync.Tests.Client;

/// <summary>An embedded silo (localhost clustering) for the client console's tests to connect to.</summary>
public sealed class CliFixture : IAsyncLifetime
{
    public EmbeddedCluster Cluster { get; private set; } = null!;

    public IConfigurationGrain Configuration => Cluster.Client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);

    public async Task InitializeAsync() => Cluster = await EmbeddedCluster.StartAsync(CancellationToken.None);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>Runs the client console against the embedded silo.</summary>
    public async Task<CliResult> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await ResyncCli.RunAsync([.. args, "--gateway-port", Cluster.Endpoint.GatewayPort.ToString()], output, error);
        return new CliResult(exit, output.ToString(), error.ToString());
    }
}

public sealed record CliResult(int Exit, string Output, string Error)
{
    public JsonElement Json() => JsonDocument.Parse(Output).RootElement;

    public CliResult Succeeded()
    {
        Assert.True(Exit == ExitCodes.Success, $"exit {Exit}; stderr: {Error}; stdout: {Output}");
        Assert.Empty(Error);
        return this;
    }

    /// <summary>Failed with <paramref name="exit"/> and exactly one line on standard error containing <paramref name="message"/>.</summary>
    public void FailedWith(int exit, string message)
    {
        Assert.True(Exit == exit, $"exit {Exit}, expected {exit}; stderr: {Error}");
        var line = Assert.Single(Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(message, line);
    }
}

[CollectionDefinition(Name)]
public sealed class CliCollection : ICollectionFixture<CliFixture>
{
    public const string Name = "cli";
}
