using Resync.Bench.Processes;
using Resync.Clustering;

namespace Resync.Bench.Scenarios;

/// <summary>
/// The silo processes of the three-silo scenario: this very program, started with the hidden
/// <c>silo</c> command, so that they carry the probe service beside the reference services.
/// </summary>
internal static class BenchSilo
{
    public static SiloProcess Start(ClusteringSettings clustering)
    {
        var program = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) != "dotnet"
            ? path
            : typeof(BenchSilo).Assembly.Location;
        return SiloProcess.Start(
            program,
            ["silo", "--clustering", "postgres", "--connection-string", clustering.ConnectionString!],
            ports => ["--silo-port", ports.Silo.ToString(), "--silo-gateway-port", ports.Gateway.ToString()]);
    }
}
