using Resync.Bench.Processes;

namespace Resync.Tests.Processes;

/// <summary>Silo processes of the tests: Silo's built program, on PostgreSQL clustering.</summary>
public static class SiloProcesses
{
    /// <summary>A silo of a PostgreSQL cluster, with <paramref name="args"/> and its own free ports.</summary>
    public static SiloProcess StartPostgres(string connectionString, params string[] args) =>
        StartPostgresAsShipped(connectionString, [.. args, "--Logging:LogLevel:Default", "Warning",
            "--Logging:Console:FormatterName", "simple", "--Logging:Console:FormatterOptions:TimestampFormat", "HH:mm:ss.fff "]);

    /// <summary>
    /// A silo of a PostgreSQL cluster with the silo host's own console defaults (no logging arguments), and its own free ports;
    /// without TLS (<c>--insecure</c>) unless <paramref name="args"/> give a certificate.
    /// </summary>
    public static SiloProcess StartPostgresAsShipped(string connectionString, params string[] args) =>
        SiloProcess.Start(
            SiloAssembly(),
            [.. args, .. args.Contains("--certificate") ? Array.Empty<string>() : ["--insecure"], "--clustering", "postgres", "--connection-string", connectionString],
            ports => ["--silo-port", ports.Silo.ToString(), "--gateway-port", ports.Gateway.ToString(), "--http-port", ports.Http.ToString()]);

    /// <summary>The silo program with exactly <paramref name="args"/>.</summary>
    public static SiloProcess StartWith(params string[] args) => SiloProcess.Start(SiloAssembly(), args, _ => []);

    /// <summary>A silo of a PostgreSQL cluster on the given ports (which another silo may hold already).</summary>
    public static SiloProcess StartPostgresOn(string connectionString, int siloPort, int gatewayPort) =>
        SiloProcess.Start(
            SiloAssembly(),
            ["--clustering", "postgres", "--connection-string", connectionString, "--insecure", "--Logging:LogLevel:Default", "Warning"],
            _ => ["--silo-port", siloPort.ToString(), "--gateway-port", gatewayPort.ToString()]);

    /// <summary>Waits until the silo processors are exactly those of <paramref name="silos"/> and their round completed.</summary>
    public static Task<ResyncStatus> Settled(Infrastructure.ResyncDriver driver, IReadOnlyCollection<SiloProcess> silos, string phase) =>
        driver.WaitForStatus(
            s => SiloProcess.Settled(s, silos),
            $"{phase}; silo output:\n{string.Join("\n", silos.Select(x => x.Output))}");

    /// <summary>SIGTERM, then waits, bounded, for the silo to finish shutting down.</summary>
    public static async Task StopAsync(this SiloProcess silo, TimeSpan timeout)
    {
        silo.Stop();
        await silo.WaitForExitAsync(timeout);
    }

    /// <summary>Silo's program, built beside this test assembly by the same solution build.</summary>
    public static string SiloAssembly()
    {
        var testDirectory = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var framework = Path.GetFileName(testDirectory);
        var configuration = Path.GetFileName(Path.GetDirectoryName(testDirectory)!);
        var path = Path.Combine(Checkout.Root, "Silo", "bin", configuration, framework, "Resync.Silo.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build the solution first: {path} is missing.");
    }
}
