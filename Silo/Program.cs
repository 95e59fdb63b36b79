using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Resync.Clustering;
using Resync.Hosting;

// A Resync silo: localhost clustering by default, or PostgreSQL (--clustering postgres --connection-string ...).
if (args.Any(a => a is "-h" or "--help" or "-?"))
{
    Console.Out.Write(SiloHelp.Text);
    return 0;
}

var builder = Host.CreateApplicationBuilder();
builder.Configuration.UseResyncConsole(builder.Logging);
builder.Configuration.AddCommandLine(args, new Dictionary<string, string>(ResyncSiloHost.Switches.Concat(ClusteringSettings.Switches)));
try
{
    var settings = ClusteringSettings.Read(builder.Configuration);
    var endpoint = ResyncSiloHost.ReadEndpoint(builder.Configuration);
    endpoint.EnsureFree();
    await settings.PrepareAsync(CancellationToken.None);
    builder.UseOrleans(silo => silo.UseResync(settings, endpoint, builder.Configuration));
    using var host = builder.Build();
    SiloStopLimit.Enforce(host, Console.Error);
    await host.RunAsync();
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
          -h, --help                        this text

        Any configuration key can be given as --Section:Key value, or as an environment variable Section__Key:
          --Resync:Deadlines:Step 00:00:05           the engine's knobs (Resync:Rounds, Deadlines, Changes, Notices,
                                                     Transfer, Writes, Silos; see README)
          --Orleans:Membership:ProbeTimeout 00:00:00.150   Orleans' own options
          --Logging:LogLevel:Default Warning         logging

        """;
}
