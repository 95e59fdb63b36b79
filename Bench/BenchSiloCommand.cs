using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Resync.Bench.Scenarios;
using Resync.Client;
using Resync.Clustering;
using Resync.Hosting;
using Resync.Operations;

namespace Resync.Bench;

/// <summary>
/// Hidden: a silo of the benchmark's three-silo scenario, with the reference services and one probe service
/// (S = 4, as corosync's measured figures have it). the benchmark starts it; it runs until SIGTERM or SIGKILL.
/// </summary>
internal static class BenchSiloCommand
{
    public static Command Create(ResyncCli cli)
    {
        var siloPort = new Option<int>("--silo-port") { Required = true };
        var gatewayPort = new Option<int>("--silo-gateway-port") { Required = true };
        var command = new Command("silo", "A silo process of the three-silo scenario (the benchmark starts it).") { siloPort, gatewayPort };
        command.Hidden = true;
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                // The benchmark measures the engine without TLS: its silos listen on loopback, for the database it was given or started.
                var given = ResyncCli.ClusteringFor(parse);
                var clustering = new ClusteringSettings { Mode = given.Mode, ConnectionString = given.ConnectionString, CertificatePath = given.CertificatePath, Insecure = true };
                var endpoint = new SiloEndpointOptions { SiloPort = parse.GetValue(siloPort), GatewayPort = parse.GetValue(gatewayPort) };
                // As Resync's own silo program: the HTTP endpoints for operators (on a free port), OTLP export when
                // OTEL_EXPORTER_OTLP_ENDPOINT is set (the benchmark's --telemetry sets it), no dashboard.
                var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
                builder.Logging.ClearProviders().AddSimpleConsole(console => (console.TimestampFormat, console.UseUtcTimestamp) = ("HH:mm:ss.ffffff ", true))
                    .SetMinimumLevel(LogLevel.Warning);
                builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
                builder.UseOrleans(silo => ProbeService.Register(silo.UseResync(clustering, endpoint, builder.Configuration), 1).AddResyncOperations(builder));
                using var hops = HopLog.StartFromEnvironment();
                await using var host = builder.Build();
                host.MapResyncOperations();
                await host.RunAsync(cancellationToken);
                return ExitCodes.Success;
            }
            catch (Exception exception)
            {
                return cli.Fail(exception);
            }
        });
        return command;
    }
}
