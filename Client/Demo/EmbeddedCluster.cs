using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;
using Orleans.Storage;
using Resync.Clustering;
using Resync.Hosting;
using Resync.Runtime;

namespace Resync.Client.Demo;

/// <summary>
/// A single silo hosted inside the client process: localhost clustering on free ports, and storage in the
/// process's memory (<see cref="InProcessGrainStorage"/>: the silo is the whole cluster and dies with the process).
/// </summary>
public sealed class EmbeddedCluster : IAsyncDisposable
{
    private readonly IHost _host;

    private EmbeddedCluster(IHost host, SiloEndpointOptions endpoint)
    {
        _host = host;
        Endpoint = endpoint;
    }

    public SiloEndpointOptions Endpoint { get; }

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    /// <summary>Starts the silo with the sync services that <paramref name="services"/> registers (the reference services when null).</summary>
    public static async Task<EmbeddedCluster> StartAsync(CancellationToken cancellationToken, Func<ISiloBuilder, ISiloBuilder>? services = null)
    {
        var siloPort = FreePort();
        var endpoint = new SiloEndpointOptions { SiloPort = siloPort, PrimarySiloPort = siloPort, GatewayPort = FreePort() };
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();
        builder.Services.AddKeyedSingleton<IGrainStorage>(ResyncOptions.StorageName, (sp, _) => new InProcessGrainStorage(sp.GetRequiredService<Serializer>()));
        // One process simulates a cluster of logical processors: its silo is not a processor (the library's default).
        builder.UseOrleans(silo => silo.UseResyncEmbedded(endpoint, services));
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new EmbeddedCluster(host, endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(TimeSpan.FromSeconds(10));
        _host.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
