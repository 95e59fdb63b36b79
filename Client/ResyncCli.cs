using System.CommandLine;
using Resync.Client.Commands;
using Resync.Hosting;

namespace Resync.Client;

/// <summary>The client console: parses the command line and runs one command against a cluster.</summary>
public sealed class ResyncCli(TextWriter output, TextWriter error)
{
    public static readonly Option<int> GatewayPort = new("--gateway-port")
    {
        Description = "Gateway port of a silo of the cluster (localhost clustering).",
        DefaultValueFactory = _ => SiloEndpointOptions.DefaultGatewayPort,
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json") { Description = "Write JSON instead of text." };

    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var cli = new ResyncCli(output, error);
        var parse = cli.Build().Parse(args);
        return parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }

    public RootCommand Build()
    {
        var root = new RootCommand("Resync: recovery synchronization of replicated services on Orleans.");
        root.Options.Add(GatewayPort);
        root.Subcommands.Add(DemoCommand.Create(this));
        root.Subcommands.Add(StatusCommand.Create(this));
        root.Subcommands.Add(HistoryCommand.Create(this));
        root.Subcommands.Add(ProcessorCommand.Create(this));
        root.Subcommands.Add(ClmCommand.Create(this));
        return root;
    }

    /// <summary>Connects to the cluster, runs <paramref name="action"/>, and turns errors into one line and an exit code.</summary>
    public async Task<int> WithClusterAsync(ParseResult parse, CancellationToken cancellationToken, Func<IClusterClient, Task<int>> action)
    {
        try
        {
            await using var connection = await ClusterConnection.ConnectAsync(parse.GetValue(GatewayPort), cancellationToken);
            return await action(connection.Client);
        }
        catch (Exception exception)
        {
            return Fail(exception);
        }
    }

    public int Fail(Exception exception)
    {
        var (message, code) = exception switch
        {
            UserErrorException user => (user.Message, user.ExitCode),
            ArgumentException argument => (argument.Message, ExitCodes.BadInput),
            _ => (exception.GetBaseException().Message, ExitCodes.Failed),
        };
        Error.WriteLine($"error: {message}");
        return code;
    }
}
