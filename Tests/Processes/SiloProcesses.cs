using Resync.Client.Processes;

namespace Resync.Tests.Processes;

/// <summary>Silo processes of the tests: Silo's built program, on PostgreSQL clustering.</summary>
public static class SiloProcesses
{
    /// <summary>A silo of a PostgreSQL cluster, with <paramref name="args"/> and its own free ports.</summary>
    public static SiloProcess StartPostgres(string connectionString, params string[] args) =>
        SiloProcess.Start(
            SiloAssembly(),
            [.. args, "--clustering", "postgres", "--connection-string", connectionString,
                "--Logging:LogLevel:Default", "Warning",
                "--Logging:Console:FormatterName", "simple", "--Logging:Console:FormatterOptions:TimestampFormat", "HH:mm:ss.fff "],
            (silo, gateway) => ["--silo-port", silo.ToString(), "--gateway-port", gateway.ToString()]);

    /// <summary>Waits until the silo processors are exactly those of <paramref name="silos"/> and their round completed.</summary>
    public static Task<ResyncStatus> Settled(Infrastructure.ResyncDriver driver, IReadOnlyCollection<SiloProcess> silos, string phase) =>
        driver.WaitForStatus(
            s =>
            {
                var processors = s.Configuration.Members.Where(ProcessorId.IsSilo).ToList();
                return processors.Count == silos.Count && silos.All(silo => processors.Any(p => p.StartsWith(silo.ProcessorPrefix, StringComparison.Ordinal)))
                    && s.Round is { Phase: RoundPhase.Completed } r && r.Epoch == s.Configuration.Epoch;
            },
            $"{phase}; silo output:\n{string.Join("\n", silos.Select(x => x.Output))}");

    /// <summary>SIGTERM, then waits, bounded, for the silo to finish shutting down.</summary>
    public static async Task StopAsync(this SiloProcess silo, TimeSpan timeout)
    {
        silo.Stop();
        await silo.WaitForExitAsync(timeout);
    }

    /// <summary>The repository's root: the test assembly runs from Tests/bin/CONFIGURATION/FRAMEWORK.</summary>
    public static string RepositoryRoot { get; } = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", ".."));

    /// <summary>Silo's program, built beside this test assembly by the same solution build.</summary>
    private static string SiloAssembly()
    {
        var testDirectory = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var framework = Path.GetFileName(testDirectory);
        var configuration = Path.GetFileName(Path.GetDirectoryName(testDirectory)!);
        var path = Path.Combine(RepositoryRoot, "Silo", "bin", configuration, framework, "Resync.Silo.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build the solution first: {path} is missing.");
    }
}
