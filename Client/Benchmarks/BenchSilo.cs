using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Resync.Hosting;

namespace Resync.Client.Benchmarks;

/// <summary>
/// A silo process of the three-silo scenario: this very program, started with the hidden
/// <c>bench-silo</c> command, so that it carries the probe service beside the reference services.
/// </summary>
internal sealed class BenchSilo : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private BenchSilo(Process process, int siloPort)
    {
        _process = process;
        SiloPort = siloPort;
        process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int SiloPort { get; }

    /// <summary>The prefix of this silo's processor id (its generation is not known in advance).</summary>
    public string ProcessorPrefix => $"{ProcessorId.SiloPrefix}127.0.0.1:{SiloPort}@";

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static BenchSilo Start(ClusteringSettings clustering)
    {
        var siloPort = FreePort();
        var info = new ProcessStartInfo(Environment.ProcessPath ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(info.FileName) == "dotnet")
        {
            info.ArgumentList.Add(typeof(BenchSilo).Assembly.Location);
        }

        foreach (var arg in (string[])[
            "bench-silo", "--silo-port", siloPort.ToString(), "--silo-gateway-port", FreePort().ToString(),
            "--clustering", "postgres", "--connection-string", clustering.ConnectionString!])
        {
            info.ArgumentList.Add(arg);
        }

        return new BenchSilo(Process.Start(info) ?? throw new InvalidOperationException("the silo process did not start"), siloPort);
    }

    /// <summary>SIGKILL: the process dies at once, without a word to the cluster.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM: the silo shuts down cleanly, leaving the cluster; does not wait for it.</summary>
    public void Stop()
    {
        using var signal = Process.Start("kill", ["-TERM", _process.Id.ToString()]);
        signal.WaitForExit();
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
