using System.Net;
using System.Net.Sockets;

namespace Resync.Clustering;

/// <summary>Where a silo listens, read from configuration (section "Silo"), command line or environment.</summary>
public sealed class SiloEndpointOptions
{
    /// <summary>The configuration section: "Silo".</summary>
    public const string SectionName = "Silo";
    /// <summary>The default of <see cref="SiloPort"/> and <see cref="PrimarySiloPort"/>.</summary>
    public const int DefaultSiloPort = 11111;
    /// <summary>The default of <see cref="GatewayPort"/>.</summary>
    public const int DefaultGatewayPort = 30000;

    /// <summary>The port on which the silo talks to the other silos (--silo-port).</summary>
    public int SiloPort { get; set; } = DefaultSiloPort;

    /// <summary>The port on which clients connect to the silo (--gateway-port).</summary>
    public int GatewayPort { get; set; } = DefaultGatewayPort;

    /// <summary>
    /// The address the silo listens on and gives its peers and clients under PostgreSQL clustering (--advertised-ip):
    /// the host's own address on a network, loopback (the default) when every silo runs on one machine.
    /// </summary>
    public string AdvertisedIP { get; set; } = IPAddress.Loopback.ToString();

    /// <summary><see cref="AdvertisedIP"/> parsed; a value that is not an IP address is refused in one line.</summary>
    public IPAddress AdvertisedAddress => IPAddress.TryParse(AdvertisedIP, out var address)
        ? address
        : throw new ArgumentException($"--advertised-ip '{AdvertisedIP}' is not an IP address");

    /// <summary>
    /// The port of the silo's HTTP endpoints for operators (--http-port): health, metrics and, when chosen, the
    /// dashboard. 0, the default, takes a free port and logs it.
    /// </summary>
    public int HttpPort { get; set; }

    /// <summary>The silo port of the primary silo, which hosts the membership table under localhost clustering.</summary>
    public int PrimarySiloPort { get; set; } = DefaultSiloPort;

    /// <summary>
    /// Refuses, in one line, a silo port or gateway port that something already listens on. Orleans would bind it all
    /// the same and, finding an older silo of the same endpoint in the membership table, declare that live silo dead
    /// (issue 26): a silo never takes over a live member's endpoint. A dead silo's endpoint is free, so a restart of a
    /// silo on its own ports still supersedes its dead incarnation.
    /// </summary>
    public void EnsureFree()
    {
        Ensure(SiloPort, "silo port", "--silo-port");
        Ensure(GatewayPort, "gateway port", "--gateway-port");
        if (HttpPort != 0)
        {
            Ensure(HttpPort, "HTTP port", "--http-port");
        }
    }

    private void Ensure(int port, string role, string option)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(AdvertisedAddress, port));
        }
        catch (SocketException exception) when (exception.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            throw new ResyncStartupException(
                $"the {role} {port} on {AdvertisedIP} is already in use (by a running silo, or another program): this silo does not start, so that it never takes over a live silo's endpoint; choose another with {option}");
        }
    }
}
