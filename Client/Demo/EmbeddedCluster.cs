using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Orleans.Storage;
using Resync.Clustering;
using Resync.Hosting;
using Resync.Operations;
using Resync.Runtime;

namespace Resync.Client.Demo;

/// <summary>
/// A single silo hosted inside the client process: localhost clustering on free ports, storage in the process's
/// memory (<see cref="InProcessGrainStorage"/>: the silo is the whole cluster and dies with the process), and its HTTP
/// endpoints for operators with the dashboard on 127.0.0.1 (<see cref="HttpAddress"/>).
/// </summary>
public sealed class EmbeddedCluster : IAsyncDisposable
{
    private readonly WebApplication _host;

    private EmbeddedCluster(WebApplication host, SiloEndpointOptions endpoint)
    {
        _host = host;
        Endpoint = endpoint;
    }

    public SiloEndpointOptions Endpoint { get; }

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    /// <summary>Where the silo's HTTP endpoints are: the dashboard at /dashboard/, health at /health/live and /health/ready, /metrics.</summary>
    public Uri HttpAddress => new($"http://127.0.0.1:{Endpoint.HttpPort}/");

    /// <summary>
    /// Starts the silo with the sync services that <paramref name="services"/> registers (the reference services when
    /// null), its HTTP endpoints on <paramref name="httpPort"/> (a free port when 0), with the dashboards unless
    /// <paramref name="dashboard"/> is false (the Orleans Dashboard profiles every grain call).
    /// </summary>
    /// <param name="certificate">The deployment certificate that clients connecting to its gateway must present (mutual TLS), or null for none.</param>
    public static async Task<EmbeddedCluster> StartAsync(
        CancellationToken cancellationToken,
        Func<ISiloBuilder, ISiloBuilder>? services = null,
        int httpPort = 0,
        bool dashboard = true,
        System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
    {
        var siloPort = FreePort();
        var endpoint = new SiloEndpointOptions { SiloPort = siloPort, PrimarySiloPort = siloPort, GatewayPort = FreePort(), HttpPort = httpPort == 0 ? FreePort() : httpPort };
        endpoint.EnsureFree();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();
        builder.Services.AddKeyedSingleton<IGrainStorage>(ResyncOptions.StorageName, (sp, _) => new InProcessGrainStorage(sp.GetRequiredService<Serializer>()));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, endpoint.HttpPort));
        // One process simulates a cluster of logical processors: its silo is not a processor (the library's default).
        builder.UseOrleans(silo =>
        {
            if (certificate is not null)
            {
                silo.UseDeploymentTls(certificate);
            }

            silo.UseResyncEmbedded(endpoint, services).AddResyncOperations(builder, options => options.Dashboard = dashboard);
        });
        var host = builder.Build();
        host.MapResyncOperations();
        await host.StartAsync(cancellationToken);
        return new EmbeddedCluster(host, endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(TimeSpan.FromSeconds(10));
        await _host.DisposeAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
