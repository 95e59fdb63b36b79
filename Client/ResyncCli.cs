using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Resync.Client.Commands;
using Resync.Client.Output;
using Resync.Clustering;
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

    public static readonly Option<string> Clustering = new("--clustering")
    {
        Description = "localhost (default) or postgres; also Resync__Clustering or appsettings.json.",
        Recursive = true,
    };

    public static readonly Option<string> ConnectionString = new("--connection-string")
    {
        Description = "PostgreSQL connection string for postgres clustering; also ConnectionStrings__Resync or appsettings.json.",
        Recursive = true,
    };

    public static readonly Option<string> Certificate = new("--certificate")
    {
        Description = "The deployment certificate (PKCS#12) for mutual TLS with the silos, when they use one; also Resync__Certificate.",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json") { Description = "Write JSON instead of text." };

    public static readonly Option<bool> Plain = new("--plain")
    {
        Description = "Plain text even on a terminal (no tables or colour).",
        Recursive = true,
    };

    public static readonly Option<string> Processor = new("--processor", "-p") { Description = "The processor to go through.", Required = true };

    public TextWriter Output { get; } = output;

    public TextWriter Error { get; } = error;

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var cli = new ResyncCli(output, error);
        return InvokeAsync(cli.Build(), args, output, error, cancellationToken);
    }

    /// <summary>Parses <paramref name="args"/> for <paramref name="root"/> and runs it; a parse error is one line and exit 2.</summary>
    public static Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && !args.Any(a => a is "-h" or "--help" or "-?"))
        {
            error.WriteLine($"error: {string.Join("; ", parse.Errors.Select(e => e.Message))} (see --help)");
            return Task.FromResult(ExitCodes.BadInput);
        }

        return parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }

    public RootCommand Build()
    {
        var root = new RootCommand(
            "Resync: recovery synchronization of replicated services on Orleans. The commands that report (status, history, " +
            "watch: one JSON line per round, and the listings; see each command's --help) take --json; errors are one line on standard error, with exit codes 1 (failed), 2 (bad input), 3 (no cluster).");
        root.Options.Add(GatewayPort);
        root.Options.Add(Clustering);
        root.Options.Add(ConnectionString);
        root.Options.Add(Certificate);
        root.Options.Add(Plain);
        root.Subcommands.Add(DemoCommand.Create(this));
        root.Subcommands.Add(StatusCommand.Create(this));
        root.Subcommands.Add(HistoryCommand.Create(this));
        root.Subcommands.Add(ProcessorCommand.Create(this));
        root.Subcommands.Add(WatchCommand.Create(this));
        root.Subcommands.Add(ClmCommand.Create(this));
        root.Subcommands.Add(EvtCommand.Create(this));
        root.Subcommands.Add(CkptCommand.Create(this));
        root.Subcommands.Add(CertificateCommand.Create(this));
        return root;
    }

    public bool IsRich(ParseResult parse) => Terminal.IsRich(Output, parse.GetValue(Plain));

    /// <summary>Writes <paramref name="value"/> as JSON when --json was given, else runs <paramref name="text"/>.</summary>
    public void Write<T>(ParseResult parse, T value, Action text)
    {
        if (parse.GetValue(Json))
        {
            Output.WriteLine(JsonOutput.Serialize(value));
        }
        else
        {
            text();
        }
    }

    /// <summary>The processor named by --processor, which must be a member of the current configuration.</summary>
    public static async Task<string> MemberAsync(IClusterClient client, ParseResult parse)
    {
        var processor = ProcessorId.Validate(parse.GetValue(Processor));
        await RequireMembersAsync(client, [processor]);
        return processor;
    }

    /// <summary>Refuses, in one line, processors that are not members of the current configuration.</summary>
    public static async Task RequireMembersAsync(IClusterClient client, IReadOnlyCollection<string> processors)
    {
        var configuration = await client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key).GetConfiguration();
        var unknown = processors.Where(p => !configuration.IsMember(p)).ToList();
        if (unknown.Count > 0)
        {
            throw new UserErrorException(
                $"unknown processor {string.Join(" ", unknown.Select(p => $"'{p}'"))}: not a member of epoch {configuration.Epoch} (members: {TextOutput.Members(configuration.Members)})");
        }
    }

    /// <summary>Connects to the cluster, runs <paramref name="action"/>, and turns errors into one line and an exit code.</summary>
    public async Task<int> WithClusterAsync(ParseResult parse, CancellationToken cancellationToken, Func<IClusterClient, Task<int>> action)
    {
        try
        {
            await using var connection = await ClusterConnection.ConnectAsync(ClusteringFor(parse), parse.GetValue(GatewayPort), cancellationToken);
            return await action(connection.Client);
        }
        catch (Exception exception)
        {
            return Fail(exception);
        }
    }

    /// <summary>The clustering to connect with: appsettings.json, then the environment, then the command line.</summary>
    public static ClusteringSettings ClusteringFor(ParseResult parse)
    {
        var overrides = new Dictionary<string, string?>();
        if (parse.GetValue(Clustering) is { } clustering)
        {
            overrides["Resync:Clustering"] = clustering;
        }

        if (parse.GetValue(ConnectionString) is { } connectionString)
        {
            overrides["ConnectionStrings:Resync"] = connectionString;
        }

        if (parse.GetValue(Certificate) is { } certificate)
        {
            overrides[ClusteringSettings.CertificateKey] = certificate;
        }

        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides)
            .Build();
        return ClusteringSettings.Read(configuration);
    }

    /// <summary>
    /// The innermost exception's message, its first line only: Orleans puts the inner exception's whole text, stack
    /// included, in some messages, and a console shows one line per failure.
    /// </summary>
    public static string FirstLine(Exception exception) => ResyncLogging.FirstLine(exception.GetBaseException().Message);

    public int Fail(Exception exception)
    {
        var (message, code) = exception switch
        {
            UserErrorException user => (user.Message, user.ExitCode),
            ArgumentException argument => (argument.Message, ExitCodes.BadInput),
            _ => (FirstLine(exception), ExitCodes.Failed),
        };
        Error.WriteLine($"error: {message}");
        return code;
    }
}
