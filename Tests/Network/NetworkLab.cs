using System.Diagnostics;

namespace Resync.Tests.Network;

/// <summary>
/// Hosts on one machine: a network namespace per host, each joined by a veth pair to a bridge that carries a private
/// /24 of its own (the bridge is 10.213.K.1, host i is 10.213.K.(10+i)), made with iproute2 and removed at the end,
/// also when a test fails; the namespaces of an earlier run that was interrupted are removed at the start. Faults are
/// injected and healed per host: nftables rules in the host's own namespace (partitions, one-way drops, a share of
/// packets lost with <c>numgen random</c>) and a <c>tc tbf</c> rate limit on its interface. Nothing outside the
/// lab's own namespaces and bridge is touched. Needs root, iproute2 and nftables (.ci/run installs them).
/// </summary>
public sealed class NetworkLab : IDisposable
{
    private const string Prefix = "rslab";
    private readonly string _id;
    private readonly int _subnet;

    private NetworkLab(string id, int subnet, int hosts)
    {
        _id = id;
        _subnet = subnet;
        Hosts = [.. Enumerable.Range(0, hosts).Select(i => new LabHost($"{Prefix}{id}-{i}", $"10.213.{subnet}.{10 + i}", $"{Prefix}{id}h{i}"))];
    }

    public ImmutableArray<LabHost> Hosts { get; }

    /// <summary>The test process's own address on the lab's network (the bridge).</summary>
    public string BridgeAddress => $"10.213.{_subnet}.1";

    private string Bridge => $"{Prefix}{_id}";

    /// <summary>Makes a lab of <paramref name="hosts"/> hosts, after removing what an interrupted run left.</summary>
    public static NetworkLab Create(int hosts)
    {
        Assert.True(Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root",
            "the network fault tests make network namespaces and need root (CI runs as root)");
        foreach (var tool in new[] { "ip", "nft", "tc" })
        {
            Assert.True(Run("sh", "-c", $"command -v {tool}").Exit == 0, $"the network fault tests need {tool} (Debian's iproute2 and nftables; .ci/run installs them)");
        }

        RemoveLeftovers();
        var id = Random.Shared.Next(0x10, 0xff).ToString("x2");
        var lab = new NetworkLab(id, Random.Shared.Next(1, 250), hosts);
        try
        {
            lab.Build();
        }
        catch
        {
            lab.Dispose();
            throw;
        }

        return lab;
    }

    private void Build()
    {
        Must("ip", "link", "add", Bridge, "type", "bridge");
        Must("ip", "addr", "add", $"{BridgeAddress}/24", "dev", Bridge);
        Must("ip", "link", "set", Bridge, "up");
        foreach (var host in Hosts)
        {
            Must("ip", "netns", "add", host.Namespace);
            var peer = host.HostSide + "p";
            Must("ip", "link", "add", host.HostSide, "type", "veth", "peer", "name", peer);
            Must("ip", "link", "set", peer, "netns", host.Namespace);
            Must("ip", "link", "set", host.HostSide, "master", Bridge);
            Must("ip", "link", "set", host.HostSide, "up");
            host.Must("ip", "link", "set", peer, "name", LabHost.Interface);
            host.Must("ip", "addr", "add", $"{host.Address}/24", "dev", LabHost.Interface);
            host.Must("ip", "link", "set", LabHost.Interface, "up");
            host.Must("ip", "link", "set", "lo", "up");
            host.Must("nft", "add", "table", "inet", LabHost.Table);
            host.Must("nft", "add", "chain", "inet", LabHost.Table, "input", "{ type filter hook input priority 0; policy accept; }");
            host.Must("nft", "add", "chain", "inet", LabHost.Table, "output", "{ type filter hook output priority 0; policy accept; }");
        }
    }

    /// <summary>Host <paramref name="host"/> and the hosts <paramref name="others"/> no longer hear each other, both ways.</summary>
    public static void Partition(LabHost host, IEnumerable<LabHost> others)
    {
        var addresses = string.Join(", ", others.Select(o => o.Address));
        host.Must("nft", "add", "rule", "inet", LabHost.Table, "input", "ip", "saddr", $"{{ {addresses} }}", "drop");
        host.Must("nft", "add", "rule", "inet", LabHost.Table, "output", "ip", "daddr", $"{{ {addresses} }}", "drop");
    }

    /// <summary>What <paramref name="host"/> sends to <paramref name="others"/> is lost; what they send it arrives.</summary>
    public static void DropOutgoing(LabHost host, IEnumerable<LabHost> others) =>
        host.Must("nft", "add", "rule", "inet", LabHost.Table, "output", "ip", "daddr", $"{{ {string.Join(", ", others.Select(o => o.Address))} }}", "drop");

    /// <summary>The host hears nobody and nobody hears it: its peers, the database, the test's client.</summary>
    public static void Isolate(LabHost host)
    {
        host.Must("nft", "add", "rule", "inet", LabHost.Table, "input", "iifname", LabHost.Interface, "drop");
        host.Must("nft", "add", "rule", "inet", LabHost.Table, "output", "oifname", LabHost.Interface, "drop");
    }

    /// <summary>A random <paramref name="percent"/> of the host's packets, either way, are lost.</summary>
    public static void Lossy(LabHost host, int percent)
    {
        foreach (var chain in new[] { "input", "output" })
        {
            host.Must("nft", "add", "rule", "inet", LabHost.Table, chain, (chain == "input" ? "iifname" : "oifname"), LabHost.Interface, "numgen", "random", "mod", "100", "<", percent.ToString(), "drop");
        }
    }

    /// <summary>The host sends at most <paramref name="rate"/> (a tc rate, "2mbit"), with a queue that builds before it drops.</summary>
    public static void Slow(LabHost host, string rate) =>
        host.Must("tc", "qdisc", "add", "dev", LabHost.Interface, "root", "tbf", "rate", rate, "burst", "32kbit", "latency", "400ms");

    /// <summary>Every fault of the host is lifted.</summary>
    public static void Heal(LabHost host)
    {
        host.Must("nft", "flush", "chain", "inet", LabHost.Table, "input");
        host.Must("nft", "flush", "chain", "inet", LabHost.Table, "output");
        host.Run("tc", "qdisc", "del", "dev", LabHost.Interface, "root");
    }

    public void Dispose()
    {
        foreach (var host in Hosts)
        {
            Delete(host.Namespace);
        }

        Run("ip", "link", "del", Bridge);
    }

    /// <summary>Ends whatever still runs in the namespace (a namespace outlives its name while a process holds it), then deletes it.</summary>
    private static void Delete(string space)
    {
        Run("sh", "-c", $"ip netns pids {space} | xargs -r kill -9");
        Run("ip", "netns", "del", space);
    }

    /// <summary>Namespaces, bridges and links of this lab's kind that an interrupted run left behind.</summary>
    private static void RemoveLeftovers()
    {
        foreach (var line in Run("ip", "netns", "list").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            if (name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                Delete(name);
            }
        }

        foreach (var line in Run("ip", "-o", "link", "show").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(':', 3)[1].Trim().Split('@')[0];
            if (name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                Run("ip", "link", "del", name);
            }
        }
    }

    internal static void Must(params string[] command)
    {
        var (exit, output) = Run(command);
        Assert.True(exit == 0, $"the network lab's command failed ({exit}): {string.Join(" ", command)}\n{output}");
    }

    internal static (int Exit, string Output) Run(params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in command.Skip(1))
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result + error.Result);
    }
}

/// <summary>A host of a <see cref="NetworkLab"/>: its namespace, its address, and its end of the veth pair on the bridge.</summary>
public sealed record LabHost(string Namespace, string Address, string HostSide)
{
    /// <summary>The host's interface inside its namespace.</summary>
    public const string Interface = "eth0";

    /// <summary>The nftables table of the host's faults, in its namespace.</summary>
    public const string Table = "resync_faults";

    /// <summary>A command inside the host's namespace, e.g. a silo process: <c>ip netns exec NS ...</c>.</summary>
    public string[] Exec(params string[] command) => ["ip", "netns", "exec", Namespace, .. command];

    internal void Must(params string[] command) => NetworkLab.Must(Exec(command));

    internal (int Exit, string Output) Run(params string[] command) => NetworkLab.Run(Exec(command));
}
