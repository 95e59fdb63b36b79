using Microsoft.Extensions.Configuration;
using Orleans.Hosting;
using Resync.Clustering;

namespace Resync.Hosting;

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

    /// <summary>A silo of either mode, with the engine and the reference services.</summary>
    public static ISiloBuilder UseResync(this ISiloBuilder silo, ClusteringSettings settings, SiloEndpointOptions endpoint, IConfiguration configuration)
    {
        ResyncClustering.ConfigureFastFailureDetection(silo.Services, configuration);
        return settings.Mode == ClusteringMode.Localhost
            ? silo.UseResyncEmbedded(endpoint)
            : silo.UsePostgresClustering(settings, endpoint).AddResync().AddReferenceServices();
    }

    public static SiloEndpointOptions ReadEndpoint(IConfiguration configuration)
    {
        var endpoint = new SiloEndpointOptions();
        configuration.GetSection(SiloEndpointOptions.SectionName).Bind(endpoint);
        return endpoint;
    }
}
