using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Resync.Clustering;
using Resync.Hosting;

namespace Resync.Client;

/// <summary>A client connection to a running cluster.</summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a command waits for an answer. A request that a gateway forwarded to a silo that then
    /// crashed is never answered; Orleans' default (30 s) would hold a command that long after a crash.
    /// Every command's call is short: the engine's own waits are bounded well below this.
    /// </summary>
    public static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(10);
    private readonly IHost _host;

    private ClusterConnection(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public static async Task<ClusterConnection> ConnectAsync(ClusteringSettings settings, int gatewayPort, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();
        builder.UseOrleansClient(client => client.UseResync(settings, gatewayPort)
            .Configure<Orleans.Configuration.ClientMessagingOptions>(options => options.ResponseTimeout = ResponseTimeout));
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
                ? $"the gateways listed in PostgreSQL at {Resync.Clustering.Postgres.PostgresSchema.Describe(settings.ConnectionString!)} (postgres clustering)"
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
