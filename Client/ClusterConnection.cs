using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Resync.Hosting;

namespace Resync.Client;

/// <summary>A client connection to a running cluster.</summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    private readonly IHost _host;

    private ClusterConnection(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public static async Task<ClusterConnection> ConnectAsync(ClusteringSettings settings, int gatewayPort, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();
        builder.UseOrleansClient(client => client.UseResync(settings, gatewayPort));
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).WaitAsync(ConnectTimeout, cancellationToken);
            return new ClusterConnection(host);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            var tried = settings.Mode == ClusteringMode.Postgres
                ? $"the gateways listed in PostgreSQL at {Resync.Hosting.Postgres.PostgresSchema.Describe(settings.ConnectionString!)} (postgres clustering)"
                : $"127.0.0.1:{gatewayPort} (localhost clustering, gateway port {gatewayPort})";
            throw new UserErrorException(
                $"no Resync cluster answered at {tried} within {ConnectTimeout.TotalSeconds:F0} s: {exception.GetBaseException().Message}",
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
