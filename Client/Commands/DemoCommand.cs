using System.CommandLine;
using Resync.Client.Demo;
using Resync.Clustering;

namespace Resync.Client.Commands;

internal static class DemoCommand
{
    public static Command Create(ResyncCli cli)
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the embedded silo and its dashboard running after the scenario, until Ctrl+C." };
        var httpPort = new Option<int>("--http-port") { Description = "Port of the embedded silo's dashboard and health endpoints on 127.0.0.1 (default: a free port)." };
        var command = new Command("demo", "Host an embedded silo and play a recovery scenario; exits non-zero unless every member ends with identical state.") { keep, httpPort };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                cli.Output.WriteLine("Resync demo: starting an embedded silo (localhost clustering, in-memory storage)...");
                // A throwaway deployment certificate: the demo's gateway takes only clients that present it.
                using var certificate = DeploymentCertificate.Create(TimeSpan.FromDays(1));
                await using var cluster = await EmbeddedCluster.StartAsync(cancellationToken, httpPort: parse.GetValue(httpPort), certificate: certificate);
                cli.Output.WriteLine($"silo port {cluster.Endpoint.SiloPort}, gateway port {cluster.Endpoint.GatewayPort}, dashboard {cluster.HttpAddress}dashboard/");
                var exit = await new DemoScenario(cluster.Client, cli.Output).RunAsync();
                if (parse.GetValue(keep))
                {
                    var folder = Directory.CreateTempSubdirectory("resync-demo-");
                    var file = Path.Combine(folder.FullName, "deployment.pfx");
                    DeploymentCertificate.Write(certificate, file);
                    cli.Output.WriteLine($"The silo keeps running: dashboard at {cluster.HttpAddress}dashboard/, Orleans Dashboard at {cluster.HttpAddress}orleans/. Ctrl+C stops it.");
                    cli.Output.WriteLine($"Its commands: dotnet run --project Client -- status --gateway-port {cluster.Endpoint.GatewayPort} --certificate {file}");
                    try
                    {
                        await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
                    }
                    finally
                    {
                        folder.Delete(recursive: true);
                    }
                }

                return exit;
            }
            catch (Exception exception)
            {
                return cli.Fail(exception);
            }
        });
        return command;
    }
}
