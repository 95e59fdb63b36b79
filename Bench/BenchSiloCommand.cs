using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Resync.Bench.Scenarios;
using Resync.Client;
using Resync.Clustering;
using Resync.Hosting;

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
                var clustering = ResyncCli.ClusteringFor(parse);
                var endpoint = new SiloEndpointOptions { SiloPort = parse.GetValue(siloPort), GatewayPort = parse.GetValue(gatewayPort) };
                var builder = Host.CreateApplicationBuilder();
                builder.Logging.ClearProviders().AddConsole().SetMinimumLevel(LogLevel.Warning);
                builder.UseOrleans(silo => ProbeService.Register(silo.UseResync(clustering, endpoint, builder.Configuration), 1));
                using var hops = HopLog.StartFromEnvironment();
                using var host = builder.Build();
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
