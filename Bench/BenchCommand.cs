using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Resync.Bench.Processes;
using Resync.Bench.Scenarios;
using Resync.Client;
using Resync.Client.Output;
using Resync.Clustering;

namespace Resync.Bench;

/// <summary>
/// The benchmark's command line: every scenario by default, one group with --only; the hidden <c>silo</c>
/// command is a silo process of the three-silo scenario.
/// </summary>
internal static class BenchCommand
{
    public static Task<int> RunAsync(string[] args)
    {
        var cli = new ResyncCli(Console.Out, Console.Error);
        var root = Create(cli);
        root.Subcommands.Add(BenchSiloCommand.Create(cli));
        return ResyncCli.InvokeAsync(root, args, Console.Out, Console.Error);
    }

    private static RootCommand Create(ResyncCli cli)
    {
        var json = new Option<FileInfo>("--json") { Description = "Also write the results as a JSON array to this file." };
        var quick = new Option<bool>("--quick") { Description = "A short run of every scenario (N up to 64, fewer runs): a smoke test, not a measurement." };
        var only = new Option<string>("--only")
        {
            Description = "Run one group: one-silo (round latency, lower bound, churn, bulk, memory), bulk (the bulk transfer alone) or three-silos (silo processes on PostgreSQL).",
        };
        only.AcceptOnlyFromAmong(OneSilo, Bulk, ThreeSilos);
        var processors = new Option<int[]>("--processors")
        {
            Description = "One-silo round latency at these N only (for profiling one size); skips bulk; memory needs several N and both S=1 and S=10.",
            AllowMultipleArgumentsPerToken = true,
        };
        var services = new Option<int[]>("--services")
        {
            Description = "One-silo round latency with these S only (1 to 10; 3 is the reference services); skips bulk; memory needs several N and both S=1 and S=10.",
            AllowMultipleArgumentsPerToken = true,
        };
        var telemetry = new Option<bool>("--telemetry")
        {
            Description = "Export metrics and traces over OTLP from every silo, to a receiver this process runs (to measure what export costs).",
        };
        var command = new RootCommand("Resync's benchmark: round latency against its lower bound, churn, bulk transfer, memory, and three silo processes beside corosync; build with -c Release.")
        {
            json, quick, only, processors, services, telemetry, ResyncCli.Clustering, ResyncCli.ConnectionString, ResyncCli.Plain,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var settings = (parse.GetValue(quick) ? BenchSettings.Quick : BenchSettings.Full)
                    .Narrowed(parse.GetValue(processors), parse.GetValue(services));
                cli.Output.WriteLine($"Resync benchmark ({(parse.GetValue(quick) ? "quick" : "full")}): {Environment.ProcessorCount} cores, .NET {Environment.Version}, {BuildConfiguration}");
                var group = parse.GetValue(only);
                var results = new List<BenchmarkResult>();
                await using var sink = parse.GetValue(telemetry) ? OtlpSink.Start() : null;
                if (sink is not null)
                {
                    cli.Output.WriteLine($"telemetry: every silo exports metrics and traces over OTLP to {sink.Endpoint}");
                }

                if (group is null or OneSilo)
                {
                    results.AddRange(await new SingleSiloBench(settings, cli.Output).RunAsync(cancellationToken));
                }

                if (group is Bulk)
                {
                    results.Add(await new SingleSiloBench(settings, cli.Output).BulkAsync(cancellationToken));
                }

                if (group is null or ThreeSilos)
                {
                    results.AddRange(await ThreeSilosAsync(cli, parse, settings, cancellationToken));
                }

                Write(cli.Output, results, cli.IsRich(parse));
                if (sink is not null)
                {
                    cli.Output.WriteLine($"telemetry: the receiver took {sink.Requests} exports, {sink.Bytes / 1024.0:0.#} KiB");
                }

                if (parse.GetValue(json) is { } file)
                {
                    await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(results, JsonOptions), cancellationToken);
                    cli.Output.WriteLine($"wrote {file.FullName}");
                }

                return ExitCodes.Success;
            }
            catch (Exception exception)
            {
                return cli.Fail(exception);
            }
        });
        return command;
    }

    private const string OneSilo = "one-silo";
    private const string Bulk = "bulk";
    private const string ThreeSilos = "three-silos";

    /// <summary>Scenario 3 on the PostgreSQL that the command line names, else on a throwaway one; skipped, with the reason, when there is none.</summary>
    private static async Task<List<BenchmarkResult>> ThreeSilosAsync(ResyncCli cli, ParseResult parse, BenchSettings settings, CancellationToken cancellationToken)
    {
        var clustering = ResyncCli.ClusteringFor(parse);
        ThrowawayPostgres? server = null;
        if (clustering.Mode != ClusteringMode.Postgres)
        {
            (server, var why) = await ThrowawayPostgres.TryStartAsync(cancellationToken);
            if (server is null)
            {
                cli.Output.WriteLine($"three silos: skipped: no connection string given (--clustering postgres --connection-string ...), and {why}");
                return [];
            }

            clustering = new ClusteringSettings { Mode = ClusteringMode.Postgres, ConnectionString = server.ConnectionString };
        }

        try
        {
            cli.Output.WriteLine($"three silos: PostgreSQL at {Resync.Clustering.Postgres.PostgresSchema.Describe(clustering.ConnectionString!)}");
            return await new ThreeSiloBench(settings, clustering, cli.Output).RunAsync(cancellationToken);
        }
        finally
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    private static string BuildConfiguration =>
#if DEBUG
        "Debug build (figures are not representative: use -c Release)";
#else
        "Release build";
#endif

    private static void Write(TextWriter output, IReadOnlyList<BenchmarkResult> results, bool rich)
    {
        static string F(double? value) => value is { } v ? v.ToString("0.###", CultureInfo.InvariantCulture) : "-";
        output.WriteLine();
        Terminal.Table(output, rich, ["scenario", "silos", "N", "S", "runs", "p50 ms", "p95 ms", "lower bound ms", "ratio", "extra"],
            results.Select(r => new[]
            {
                r.Scenario, r.Silos.ToString(CultureInfo.InvariantCulture), r.Processors.ToString(CultureInfo.InvariantCulture),
                r.Services.ToString(CultureInfo.InvariantCulture), r.Runs.ToString(CultureInfo.InvariantCulture),
                F(r.P50Ms), F(r.P95Ms), F(r.LowerBoundMs), F(r.Ratio),
                string.Join(" ", r.Extra.Select(e => $"{e.Key}={F(e.Value)}")),
            }));
    }
}
