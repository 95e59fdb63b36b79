using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Resync.Clustering;
using Resync.Hosting;
using Resync.Operations;

// A Resync silo: localhost clustering by default, or PostgreSQL (--clustering postgres --connection-string ...),
// with its HTTP endpoints for operators on --http-port.
if (args.Any(a => a is "-h" or "--help" or "-?"))
{
    Console.Out.Write(SiloHelp.Text);
    return 0;
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [] });
builder.Configuration.UseResyncConsole(builder.Logging);
builder.Configuration.AddCommandLine(
    SiloHelp.WithFlagValues(args),
    new Dictionary<string, string>(ResyncSiloHost.Switches.Concat(ClusteringSettings.Switches))
    {
        ["--dashboard"] = $"{ResyncOperationsOptions.SectionName}:Dashboard",
        ["--insecure"] = ClusteringSettings.InsecureKey,
    });
try
{
    var settings = ClusteringSettings.Read(builder.Configuration);
    // Refused before the database is tried; UsePostgresClustering refuses it too, for any host that composes a silo.
    settings.RequireTlsOrConsent();
    var endpoint = ResyncSiloHost.ReadEndpoint(builder.Configuration);
    endpoint.EnsureFree();
    await settings.PrepareAsync(CancellationToken.None);
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.ListenAnyIP(endpoint.HttpPort));
    builder.UseOrleans(silo => silo.UseResync(settings, endpoint, builder.Configuration).AddResyncOperations(builder));
    await using var app = builder.Build();
    app.MapResyncOperations();
    SiloStopLimit.Enforce(app, Console.Error);
    await app.StartAsync();
    await app.WaitForShutdownAsync();
    return 0;
}
catch (Exception exception) when (exception is ArgumentException or ResyncStartupException)
{
    Console.Error.WriteLine($"error: {exception.Message}");
    return exception is ArgumentException ? 2 : 1;
}
catch (Exception exception)
{
    Console.Error.WriteLine($"error: the silo stopped: {exception.GetBaseException().Message}");
    return 1;
}

/// <summary>What <c>--help</c> prints: the silo takes its settings as configuration keys, so they are listed here.</summary>
internal static class SiloHelp
{
    public const string Text = """
        Resync.Silo: a Resync silo (runs until SIGTERM or Ctrl+C).

        Usage: Resync.Silo [options] [--Section:Key value ...]

        Options:
          --clustering localhost|postgres   how silos find each other (default localhost; also Resync__Clustering)
          --connection-string <string>      PostgreSQL connection string for postgres clustering (also ConnectionStrings__Resync)
          --silo-port <port>                silo-to-silo port (default 11111); a port in use is refused
          --gateway-port <port>             client gateway port (default 30000); a port in use is refused
          --primary-port <port>             the primary silo's port, localhost clustering only (default 11111)
          --advertised-ip <address>         the address to listen on and give peers and clients, postgres clustering
                                            only (default 127.0.0.1: every silo on one machine)
          --http-port <port>                HTTP port of /health/live, /health/ready and /metrics (default 0: a free
                                            port, logged at start); a port in use is refused
          --certificate <file>              the deployment certificate (PKCS#12): mutual TLS with every silo and client,
                                            which must present the same one (make one: resync certificate create <file>);
                                            required with postgres clustering unless --insecure
          --insecure                        postgres clustering without TLS: any process that reaches the ports may
                                            join the cluster or call it (only on a network of your own)
          --dashboard                       also serve the live dashboard at /dashboard/ and the grain dashboard at
                                            /orleans/ on the HTTP port
          -h, --help                        this text

        Any configuration key can be given as --Section:Key value, or as an environment variable Section__Key:
          --Resync:Deadlines:Step 00:00:05           the engine's knobs (Resync:Rounds, Deadlines, Changes, Notices,
                                                     Transfer, Writes, Silos, Operations; see README)
          --Orleans:Membership:ProbeTimeout 00:00:00.150   Orleans' own options
          --Logging:LogLevel:Default Warning         logging
        OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4317 exports metrics and traces over OTLP.

        """;

    /// <summary>A bare <c>--dashboard</c> or <c>--insecure</c> means the switch and <c>true</c>: the command line's switches otherwise take a value.</summary>
    public static string[] WithFlagValues(string[] args)
    {
        var expanded = new List<string>(args.Length + 1);
        for (var i = 0; i < args.Length; i++)
        {
            expanded.Add(args[i]);
            if (args[i] is "--dashboard" or "--insecure" && (i + 1 == args.Length || !bool.TryParse(args[i + 1], out _)))
            {
                expanded.Add("true");
            }
        }

        return [.. expanded];
    }
}
