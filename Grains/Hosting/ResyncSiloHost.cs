using Microsoft.Extensions.Configuration;
using Orleans.Hosting;

namespace Resync.Hosting;

/// <summary>Where a silo listens, read from configuration (section "Silo"), command line or environment.</summary>
public sealed class SiloEndpointOptions
{
    public const string SectionName = "Silo";
    public const int DefaultSiloPort = 11111;
    public const int DefaultGatewayPort = 30000;

    public int SiloPort { get; set; } = DefaultSiloPort;

    public int GatewayPort { get; set; } = DefaultGatewayPort;

    /// <summary>The silo port of the primary silo, which hosts the membership table under localhost clustering.</summary>
    public int PrimarySiloPort { get; set; } = DefaultSiloPort;
}

public static class ResyncSiloHost
{
    /// <summary>Command-line switches of the hosts, mapped onto configuration keys.</summary>
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>
    {
        ["--silo-port"] = "Silo:SiloPort",
        ["--gateway-port"] = "Silo:GatewayPort",
        ["--primary-port"] = "Silo:PrimarySiloPort",
    };

    /// <summary>
    /// A silo of the embedded mode: localhost clustering, in-memory storage, and the sync services that
    /// <paramref name="services"/> registers (the reference services when it is null).
    /// </summary>
    public static ISiloBuilder UseResyncEmbedded(this ISiloBuilder silo, SiloEndpointOptions endpoint, Func<ISiloBuilder, ISiloBuilder>? services = null) =>
        (services ?? (s => s.AddReferenceServices()))(
            silo.UseLocalhostClustering(
                    endpoint.SiloPort,
                    endpoint.GatewayPort,
                    new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, endpoint.PrimarySiloPort))
                .AddResync());

    public static SiloEndpointOptions ReadEndpoint(IConfiguration configuration)
    {
        var endpoint = new SiloEndpointOptions();
        configuration.GetSection(SiloEndpointOptions.SectionName).Bind(endpoint);
        return endpoint;
    }
}
