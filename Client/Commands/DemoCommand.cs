using System.CommandLine;
using Resync.Client.Demo;

namespace Resync.Client.Commands;

internal static class DemoCommand
{
    public static Command Create(ResyncCli cli)
    {
        var command = new Command("demo", "Host an embedded silo and play a recovery scenario; exits non-zero unless every member ends with identical state.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                cli.Output.WriteLine("Resync demo: starting an embedded silo (localhost clustering, in-memory storage)...");
                await using var cluster = await EmbeddedCluster.StartAsync(cancellationToken);
                cli.Output.WriteLine($"silo port {cluster.Endpoint.SiloPort}, gateway port {cluster.Endpoint.GatewayPort}");
                return await new DemoScenario(cluster.Client, cli.Output).RunAsync();
            }
            catch (Exception exception)
            {
                return cli.Fail(exception);
            }
        });
        return command;
    }
}
