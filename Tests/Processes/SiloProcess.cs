using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Resync.Tests.Processes;

/// <summary>A silo in a process of its own, so that a test can kill it with SIGKILL, as a crash would.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SiloProcess(Process process, int siloPort, int gatewayPort)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    /// <summary>The prefix of this silo's processor id (its generation is not known in advance).</summary>
    public string ProcessorPrefix => $"{ProcessorId.SiloPrefix}127.0.0.1:{SiloPort}@";

    public string Output { get { lock (_output) return _output.ToString(); } }

    public bool HasExited => _process.HasExited;

    /// <summary>A silo of a PostgreSQL cluster.</summary>
    public static SiloProcess StartPostgres(string connectionString, params string[] args) =>
        Start(null, [.. args, "--clustering", "postgres", "--connection-string", connectionString]);

    /// <summary>Starts Silo's built program with <paramref name="args"/> plus its own free ports.</summary>
    public static SiloProcess Start(int? primaryPort, params string[] args)
    {
        var siloPort = FreePort();
        var gatewayPort = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(SiloAssembly());
        foreach (var arg in args.Concat([
            "--silo-port", siloPort.ToString(), "--gateway-port", gatewayPort.ToString(),
            "--primary-port", (primaryPort ?? siloPort).ToString(), "--Logging:LogLevel:Default", "Warning",
            "--Logging:Console:FormatterName", "simple", "--Logging:Console:FormatterOptions:TimestampFormat", "HH:mm:ss.fff "]))
        {
            info.ArgumentList.Add(arg);
        }

        return new SiloProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"), siloPort, gatewayPort);
    }

    /// <summary>Waits for the process to exit on its own, bounded; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit();
        return _process.ExitCode;
    }

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

    /// <summary>SIGTERM: the silo shuts down cleanly, leaving the cluster.</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        using (var signal = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
        {
            await signal.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(timeout);
    }

    /// <summary>SIGKILL: the process dies at once, without a word to the cluster.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
