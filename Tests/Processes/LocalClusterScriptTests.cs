using System.Diagnostics;
using System.Net.Sockets;
using Resync.Bench.Processes;
using Resync.Clustering;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Processes;

/// <summary>
/// scripts/local-cluster.sh (issue 26 point 2): it stops on Ctrl+C and on nothing else, keeps the logs, and a silo that
/// dies can be started again by hand with the command it prints while the rest of the cluster runs.
/// </summary>
public sealed class LocalClusterScriptTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_script_outlives_its_silos_lets_one_be_restarted_by_hand_and_stops_everything_it_started_only_when_asked()
    {
        var (siloPort, gatewayPort, httpPort) = (FreePair(), FreePair(), FreePair());
        var script = new Process
        {
            StartInfo = new ProcessStartInfo("bash", [Path.Combine(Checkout.Root, "scripts", "local-cluster.sh"), "2"])
            {
                WorkingDirectory = Checkout.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                Environment = { ["RESYNC_SILO_PORT"] = siloPort.ToString(), ["RESYNC_GATEWAY_PORT"] = gatewayPort.ToString(), ["RESYNC_HTTP_PORT"] = httpPort.ToString() },
            },
        };
        var lines = new List<string>();
        script.OutputDataReceived += (_, e) => { if (e.Data is { } line) { lock (lines) { lines.Add(line); } } };
        script.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { lock (lines) { lines.Add(line); } } };
        script.Start();
        script.BeginOutputReadLine();
        script.BeginErrorReadLine();
        SiloProcess? byHand = null;
        try
        {
            await LineAsync(lines, "Ctrl+C to stop", script, TimeSpan.FromSeconds(240));
            string Value(string prefix) => Snapshot(lines).First(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..].Trim();
            var connectionString = Value("PostgreSQL:");
            var settings = new ClusteringSettings { Mode = ClusteringMode.Postgres, ConnectionString = connectionString, CertificatePath = Value("certificate:") };
            var logs = Snapshot(lines).Single(l => l.Contains("; logs in ", StringComparison.Ordinal)).Split("; logs in ")[1].Trim();
            var pids = Snapshot(lines).Single(l => l.Contains(", pids ", StringComparison.Ordinal)).Split(", pids ")[1].Split(';')[0].Split(' ').Select(int.Parse).ToList();
            var restart = Value("restart silo 1 after a kill:");

            await using var connection = await CrashTests.ConnectAsync(settings);
            var driver = new ResyncDriver(connection.Client);
            var settled = await driver.WaitForStatus(s => Silos(s) == 2 && s.Round?.Phase == RoundPhase.Completed, "the script's two silos settled");

            // Each silo serves the dashboard on its HTTP port, and shows the same configuration.
            using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
            {
                Assert.Contains($"http://127.0.0.1:{httpPort}/dashboard/", Value("dashboard:"));
                foreach (var port in new[] { httpPort, httpPort + 1 })
                {
                    var snapshot = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/dashboard/api/snapshot")).RootElement;
                    Assert.Equal(settled.Configuration.Epoch, snapshot.GetProperty("epoch").GetInt64());
                }
            }

            // Every silo the script started dies: the script says so and goes on, and the database stays.
            pids.ForEach(pid => Process.GetProcessById(pid).Kill());
            await LineAsync(lines, "silo 1 (pid", script, TimeSpan.FromSeconds(30));
            await LineAsync(lines, "silo 0 (pid", script, TimeSpan.FromSeconds(30));
            Assert.False(script.HasExited, "the script stopped when its silos died");
            await using (var database = new Npgsql.NpgsqlConnection(connectionString))
            {
                await database.OpenAsync();
            }

            // The printed command starts silo 1 again, on the same database and ports.
            byHand = SiloProcess.Start("bash", ["-c", restart.Replace(" &", "", StringComparison.Ordinal)], _ => []);
            await using (var again = await CrashTests.ConnectAsync(settings))
            {
                // A new client: the first one's gateways all died with the script's silos.
                await new ResyncDriver(again.Client).WaitForStatus(s => Silos(s) == 1 && s.Round?.Phase == RoundPhase.Completed, "silo 1 restarted by hand");
            }

            // Asked to stop (SIGTERM here: a shell started without a terminal ignores SIGINT, and Ctrl+C sends SIGINT),
            // the script stops what it started and the database, and keeps the logs.
            Process.Start("kill", ["-TERM", script.Id.ToString()]).WaitForExit();
            await script.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(File.Exists(Path.Combine(logs, "silo-0.log")), $"the logs went with the stop ({logs})");
            await using var gone = new Npgsql.NpgsqlConnection(connectionString + ";Timeout=2");
            await Assert.ThrowsAnyAsync<Exception>(() => gone.OpenAsync());
            output.WriteLine(string.Join("\n", Snapshot(lines)));
            Directory.Delete(logs, recursive: true);
        }
        finally
        {
            if (!script.HasExited)
            {
                Process.Start("kill", ["-TERM", script.Id.ToString()]).WaitForExit();
                await script.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }

            if (byHand is not null)
            {
                await byHand.DisposeAsync();
            }
        }
    }

    private static int Silos(ResyncStatus status) => status.Configuration.Members.Count(ProcessorId.IsSilo);

    private static List<string> Snapshot(List<string> lines)
    {
        lock (lines)
        {
            return [.. lines];
        }
    }

    private static async Task<string> LineAsync(List<string> lines, string start, Process script, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (Snapshot(lines).FirstOrDefault(l => l.StartsWith(start, StringComparison.Ordinal)) is { } line)
            {
                return line;
            }

            Assert.False(script.HasExited, $"the script exited before '{start}':\n{string.Join("\n", Snapshot(lines))}");
            Assert.True(DateTime.UtcNow < deadline, $"no line '{start}' within {timeout.TotalSeconds} s:\n{string.Join("\n", Snapshot(lines))}");
            await Task.Delay(100);
        }
    }

    /// <summary>A port whose next port is free too (the script numbers its silos' ports from it).</summary>
    private static int FreePair()
    {
        while (true)
        {
            var port = Random.Shared.Next(40_000, 60_000);
            if (Free(port) && Free(port + 1))
            {
                return port;
            }
        }
    }

    private static bool Free(int port)
    {
        try
        {
            using var listener = new TcpListener(System.Net.IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
