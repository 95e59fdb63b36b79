using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Resync.Bench.Processes;

/// <summary>
/// A silo in a process of its own, so that it can be killed with SIGKILL, as a crash would, or stopped
/// cleanly with SIGTERM. The benchmark's three-silo scenario and the crash tests start theirs with it.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private SiloProcess(Process process, SiloPorts ports, string address)
    {
        _process = process;
        Address = address;
        SiloPort = ports.Silo;
        GatewayPort = ports.Gateway;
        HttpPort = ports.Http;
        process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The address the silo advertises (loopback unless it runs in a network of its own).</summary>
    public string Address { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    /// <summary>The port offered for the silo's HTTP endpoints (a program that takes <c>--http-port</c> from its port arguments listens there).</summary>
    public int HttpPort { get; }

    /// <summary>The prefix of this silo's processor id (its generation is not known in advance).</summary>
    public string ProcessorPrefix => $"{ProcessorId.SiloPrefix}{Address}:{SiloPort}@";

    /// <summary>The process's id, for signals (SIGSTOP, SIGCONT).</summary>
    public int Id => _process.Id;

    /// <summary>What the process wrote so far, standard output and error.</summary>
    public string Output { get { lock (_output) return _output.ToString(); } }

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Whether <paramref name="status"/> shows exactly the silo processors of <paramref name="silos"/> and a
    /// completed round of its configuration.
    /// </summary>
    public static bool Settled(ResyncStatus status, IReadOnlyCollection<SiloProcess> silos) =>
        HasExactly(status.Configuration, silos)
        && status.Round is { Phase: RoundPhase.Completed } round && round.Epoch == status.Configuration.Epoch;

    /// <summary>Whether the silo processors of <paramref name="configuration"/> are exactly those of <paramref name="silos"/>.</summary>
    public static bool HasExactly(Configuration configuration, IReadOnlyCollection<SiloProcess> silos)
    {
        var processors = configuration.Members.Where(ProcessorId.IsSilo).ToList();
        return processors.Count == silos.Count
            && silos.All(silo => processors.Any(p => p.StartsWith(silo.ProcessorPrefix, StringComparison.Ordinal)));
    }

    /// <summary>
    /// Starts <paramref name="program"/> (a .dll, run with dotnet, or an executable) with <paramref name="args"/>
    /// and the port arguments that <paramref name="portArgs"/> makes of free silo, gateway and HTTP ports.
    /// </summary>
    public static SiloProcess Start(string program, IEnumerable<string> args, Func<SiloPorts, IEnumerable<string>> portArgs) =>
        Start(program, args, new SiloPorts(FreePort(), FreePort(), FreePort()), IPAddress.Loopback.ToString(), portArgs);

    /// <summary>
    /// Starts <paramref name="program"/> with <paramref name="args"/> and the port arguments that
    /// <paramref name="portArgs"/> makes of <paramref name="ports"/>, for a silo that advertises <paramref name="address"/>.
    /// </summary>
    public static SiloProcess Start(string program, IEnumerable<string> args, SiloPorts ports, string address, Func<SiloPorts, IEnumerable<string>> portArgs)
    {
        var dll = program.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var info = new ProcessStartInfo(dll ? "dotnet" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (dll ? [program] : Array.Empty<string>()).Concat(args).Concat(portArgs(ports)))
        {
            info.ArgumentList.Add(arg);
        }

        return new SiloProcess(Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start"), ports, address);
    }

    /// <summary>SIGKILL: the process dies at once, without a word to the cluster.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM: the silo starts to shut down cleanly, leaving the cluster; returns at once.</summary>
    public void Stop()
    {
        using var signal = Process.Start("kill", ["-TERM", _process.Id.ToString()]);
        signal.WaitForExit();
    }

    /// <summary>Waits, bounded, for the process to exit; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The silo process {_process.Id} did not exit within {timeout.TotalSeconds:0.#} s; its output:\n{Output}");
        }

        _process.WaitForExit();
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        // For profiling: RESYNC_SILO_LOGS names a folder where every silo process leaves what it wrote, one file each.
        if (Environment.GetEnvironmentVariable("RESYNC_SILO_LOGS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(Path.Combine(folder, $"silo-{_process.Id}.log"), Output);
        }

        _process.Dispose();
    }

    /// <summary>A loopback port that nothing listens on right now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The ports a silo process is started with.</summary>
public sealed record SiloPorts(int Silo, int Gateway, int Http);
