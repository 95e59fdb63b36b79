using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Resync.Clustering;

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

    /// <summary>How often a client reads the gateways of a PostgreSQL cluster again.</summary>
    public static readonly TimeSpan GatewayListRefresh = TimeSpan.FromSeconds(2);
    private readonly IHost _host;

    private ClusterConnection(IHost host) => _host = host;

    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();

    public static async Task<ClusterConnection> ConnectAsync(ClusteringSettings settings, int gatewayPort, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, CommandLineLifetime>();
        builder.UseOrleansClient(client => client.UseResync(settings, gatewayPort)
            .Configure<Orleans.Configuration.ClientMessagingOptions>(options => options.ResponseTimeout = ResponseTimeout)
            // A gateway that went silent (its silo cut off or dead) leaves the list within seconds, not Orleans' minute.
            .Configure<Orleans.Configuration.GatewayOptions>(options => options.GatewayListRefreshPeriod = GatewayListRefresh));
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken).WaitAsync(ConnectTimeout, cancellationToken);
            return new ClusterConnection(host);
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            throw new UserErrorException(await WhatFailedAsync(settings, gatewayPort, exception), ExitCodes.Unreachable);
        }
    }

    /// <summary>
    /// Names what actually failed, and what to try: the database, the gateway, or a cluster of another kind at the gateway
    /// (issue 26: a silo of a PostgreSQL cluster listening where a localhost client looked was reported as no cluster).
    /// </summary>
    private static async Task<string> WhatFailedAsync(ClusteringSettings settings, int gatewayPort, Exception failure)
    {
        var reason = ResyncCli.FirstLine(failure);
        if (settings.Mode == ClusteringMode.Postgres)
        {
            var database = Resync.Clustering.Postgres.PostgresSchema.Describe(settings.ConnectionString!);
            try
            {
                using var timeout = new CancellationTokenSource(ConnectTimeout);
                await using var connection = new Npgsql.NpgsqlConnection(settings.ConnectionString);
                await connection.OpenAsync(timeout.Token);
            }
            catch (Exception exception)
            {
                return $"cannot reach the PostgreSQL database at {database} ({ResyncCli.FirstLine(exception)}): check --connection-string, and that the server runs";
            }

            return $"the PostgreSQL database at {database} answers, but no silo of its cluster took this client within {ConnectTimeout.TotalSeconds:F0} s ({reason}): start a silo with --clustering postgres on this database";
        }

        if (await ListensAsync(gatewayPort))
        {
            return $"something listens at 127.0.0.1:{gatewayPort} but did not take this client as a Resync client of localhost clustering within {ConnectTimeout.TotalSeconds:F0} s ({reason}): " +
                "if it is a silo of a PostgreSQL cluster, add --clustering postgres --connection-string \"...\"";
        }

        return $"nothing listens at 127.0.0.1:{gatewayPort} (localhost clustering, gateway port {gatewayPort}): start a silo (dotnet run --project Silo), or give the gateway port of a running one with --gateway-port";
    }

    private static async Task<bool> ListensAsync(int port)
    {
        using var probe = new System.Net.Sockets.TcpClient();
        try
        {
            await probe.ConnectAsync(System.Net.IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(1));
            return true;
        }
        catch (Exception)
        {
            return false;
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
