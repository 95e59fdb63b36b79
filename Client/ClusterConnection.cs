using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Resync.Client;

/// <summary>A client connection to a running cluster.</summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    private readonly IHost _host;

    private ClusterConnection(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public static async Task<ClusterConnection> ConnectAsync(int gatewayPort, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();
        builder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort));
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).WaitAsync(ConnectTimeout, cancellationToken);
            return new ClusterConnection(host);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            throw new UserErrorException(
                $"no Resync cluster answered at 127.0.0.1:{gatewayPort} (localhost clustering, gateway port {gatewayPort}) within {ConnectTimeout.TotalSeconds:F0} s: {exception.GetBaseException().Message}",
                ExitCodes.Unreachable);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(5));
        }
        finally
        {
            _host.Dispose();
        }
    }
}
