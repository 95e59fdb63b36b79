using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Resync.Bench.Processes;
using Resync.Client;
using Resync.Clustering;
using Resync.Tests.Infrastructure;
using Resync.Tests.Processes;
using Resync.Tests.Reference;

namespace Resync.Tests.Network;

/// <summary>
/// A cluster of hosts on one machine (<see cref="NetworkLab"/>): PostgreSQL in host 0, a silo process in each of
/// hosts 1 to 3, each on its own address with the same ports, and the test's client on the bridge. A silo that
/// exits (killed, or dead by Orleans' verdict) is started again on its host with the same command.
/// </summary>
public sealed class NetworkClusterFixture : IAsyncLifetime
{
    public const int SiloCount = 3;
    private const int SiloPort = 11111;
    private const int GatewayPort = 30000;
    private const int HttpPort = 8080;
    private string? _postgresFolder;

    public NetworkLab Lab { get; private set; } = null!;

    public string ConnectionString { get; private set; } = "";

    /// <summary>The silo processes, by the index of their host less one.</summary>
    public SiloProcess[] Silos { get; } = new SiloProcess[SiloCount];

    public ClusterConnection Connection { get; private set; } = null!;

    public ReferenceDriver Driver => new(Connection.Client);

    public LabHost HostOf(int silo) => Lab.Hosts[silo + 1];

    public async Task InitializeAsync()
    {
        Lab = NetworkLab.Create(SiloCount + 1);
        var database = Lab.Hosts[0];
        var (exit, started) = database.Run("env", $"RESYNC_POSTGRES_LISTEN={database.Address}", "bash", Path.Combine(Checkout.Root, "scripts", "postgres-temp.sh"), "start");
        Assert.True(exit == 0, $"PostgreSQL did not start in the lab's host {database.Namespace}: {started}");
        ConnectionString = Line(started, "RESYNC_POSTGRES=");
        _postgresFolder = Line(started, "RESYNC_POSTGRES_DIR=");
        for (var i = 0; i < SiloCount; i++)
        {
            StartSilo(i);
        }

        try
        {
            Connection = await CrashTests.ConnectAsync(new ClusteringSettings { Mode = ClusteringMode.Postgres, ConnectionString = ConnectionString });
        }
        catch (Exception exception)
        {
            throw new InvalidOperationException(
                $"no client connection to the lab's silos: {exception.Message}\n{string.Join("\n", Silos.Select((s, i) => $"silo {i + 1} (exited: {s.HasExited}):\n{s.Output}"))}", exception);
        }

        await SiloProcesses.Settled(Driver.Engine, Silos, "three silos in the lab's hosts started");
    }

    /// <summary>Starts the silo of host <paramref name="silo"/>+1, with the same command every time.</summary>
    public void StartSilo(int silo)
    {
        var host = HostOf(silo);
        Silos[silo] = SiloProcess.Start(
            "ip",
            host.Exec(
                "dotnet", SiloProcesses.SiloAssembly(),
                "--clustering", "postgres", "--connection-string", ConnectionString, "--insecure",
                "--advertised-ip", host.Address, "--silo-port", SiloPort.ToString(), "--gateway-port", GatewayPort.ToString(), "--http-port", HttpPort.ToString(),
                "--Logging:LogLevel:Default", "Warning")[1..],
            new SiloPorts(SiloPort, GatewayPort, HttpPort),
            host.Address,
            _ => []);
    }

    /// <summary>
    /// A client whose only gateway is silo <paramref name="silo"/>'s: its calls to grains on that silo do not pass through
    /// another silo, so they are answered while another silo is frozen or cut off (a client of the whole cluster sends each
    /// grain's calls through one gateway chosen by the grain, which may be that other silo's).
    /// </summary>
    public async Task<IHost> ClientThroughAsync(int silo)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client => client
            .UseStaticClustering(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(HostOf(silo).Address), GatewayPort))
            .Configure<Orleans.Configuration.ClusterOptions>(options =>
            {
                options.ClusterId = ClusteringSettings.ClusterId;
                options.ServiceId = ClusteringSettings.ServiceId;
            }));
        var host = builder.Build();
        await host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return host;
    }

    /// <summary>Starts again every silo whose process has exited; returns which.</summary>
    public List<int> RestartExited()
    {
        var restarted = Enumerable.Range(0, SiloCount).Where(i => Silos[i].HasExited).ToList();
        foreach (var silo in restarted)
        {
            var output = Silos[silo].Output;
            _ = Silos[silo].DisposeAsync();
            ExitedOutputs.Add($"silo {silo + 1} ({HostOf(silo).Address}) exited:\n{output}");
            StartSilo(silo);
        }

        return restarted;
    }

    /// <summary>What the silos that exited wrote, for a failure's message.</summary>
    public List<string> ExitedOutputs { get; } = [];

    public async Task DisposeAsync()
    {
        try
        {
            if (Connection is not null)
            {
                await Connection.DisposeAsync();
            }
        }
        catch (Exception)
        {
            // The silos may be gone already.
        }

        try
        {
            foreach (var silo in Silos.Where(s => s is not null))
            {
                await silo.DisposeAsync();
            }

            if (_postgresFolder is not null)
            {
                NetworkLab.Run("bash", Path.Combine(Checkout.Root, "scripts", "postgres-temp.sh"), "stop", _postgresFolder);
            }
        }
        finally
        {
            // Also ends what is left in the lab's namespaces (a PostgreSQL whose start failed half-way, say).
            Lab?.Dispose();
        }
    }

    private static string Line(string output, string prefix) =>
        output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..]
        ?? throw new InvalidOperationException($"no {prefix} in: {output}");
}

[CollectionDefinition(Name)]
public sealed class NetworkCollection : ICollectionFixture<NetworkClusterFixture>
{
    public const string Name = "network";
}
