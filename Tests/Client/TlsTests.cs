using Resync.Client;
using Resync.Client.Demo;
using Resync.Clustering;
using Resync.Tests.Processes;

namespace Resync.Tests.Client;

/// <summary>
/// Only the cluster's own may talk to it (issue 19 point 6): a silo with a deployment certificate takes clients over
/// mutual TLS pinned to it, and refuses, before any grain call, a client without it or with another one.
/// </summary>
public sealed class TlsTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("resync-tls-").FullName;
    private EmbeddedCluster _cluster = null!;

    private string Deployment => Path.Combine(_folder, "deployment.pfx");

    public async Task InitializeAsync()
    {
        using var certificate = DeploymentCertificate.Create(TimeSpan.FromHours(1));
        DeploymentCertificate.Write(certificate, Deployment);
        _cluster = await EmbeddedCluster.StartAsync(CancellationToken.None, certificate: DeploymentCertificate.Load(Deployment));
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_client_with_the_deployment_certificate_is_served()
    {
        var result = await RunAsync("processor", "join", "tls-1", "--certificate", Deployment);
        Assert.True(result.Exit == ExitCodes.Success, result.Error);
        Assert.Contains("tls-1", (await Configuration().GetConfiguration()).Members);
    }

    [Fact]
    public async Task A_client_without_the_certificate_or_with_another_is_refused_and_changes_nothing()
    {
        var before = await Configuration().GetConfiguration();
        var stranger = Path.Combine(_folder, "stranger.pfx");
        using (var other = DeploymentCertificate.Create(TimeSpan.FromHours(1)))
        {
            DeploymentCertificate.Write(other, stranger);
        }

        foreach (var certificate in new string?[] { null, stranger })
        {
            string[] args = certificate is null ? ["processor", "join", "intruder"] : ["processor", "join", "intruder", "--certificate", certificate];
            var result = await RunAsync(args);
            Assert.True(result.Exit == ExitCodes.Unreachable, $"with {certificate ?? "no certificate"}: exit {result.Exit}, {result.Error}{result.Output}");
        }

        Assert.Equal(before, await Configuration().GetConfiguration());
    }

    [Fact]
    public async Task A_certificate_file_that_cannot_be_read_is_refused_in_one_line()
    {
        var broken = Path.Combine(_folder, "broken.pfx");
        await File.WriteAllTextAsync(broken, "not a certificate");
        var result = await RunAsync("status", "--certificate", broken);
        Assert.Equal(ExitCodes.BadInput, result.Exit);
        Assert.StartsWith($"error: cannot read the deployment certificate {broken}", result.Error);
    }

    private IConfigurationGrain Configuration() => _cluster.Client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);

    private async Task<CliResult> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await ResyncCli.RunAsync([.. args, "--gateway-port", _cluster.Endpoint.GatewayPort.ToString()], output, error);
        return new CliResult(exit, output.ToString(), error.ToString());
    }
}
