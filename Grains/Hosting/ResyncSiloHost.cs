using Microsoft.Extensions.Configuration;
using Orleans.Hosting;
using Resync.Clustering;
using Resync.Runtime;

namespace Resync.Hosting;

/// <summary>What the silo hosts share: a Resync silo of either mode, its endpoint from configuration, the command-line switches.</summary>
public static class ResyncSiloHost
{
    /// <summary>Command-line switches of the hosts, mapped onto configuration keys.</summary>
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>
    {
        ["--silo-port"] = "Silo:SiloPort",
        ["--gateway-port"] = "Silo:GatewayPort",
        ["--primary-port"] = "Silo:PrimarySiloPort",
        ["--http-port"] = "Silo:HttpPort",
        ["--advertised-ip"] = "Silo:AdvertisedIP",
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
                .AddResync()
                .AddResyncMemoryStorageUnlessRegistered());

    /// <summary>A silo of either mode, with the engine and the reference services.</summary>
    public static ISiloBuilder UseResync(this ISiloBuilder silo, ClusteringSettings settings, SiloEndpointOptions endpoint, IConfiguration configuration)
    {
        ResyncClustering.ConfigureFastFailureDetection(silo.Services, configuration);
        if (settings.LoadCertificate() is { } certificate)
        {
            silo.UseDeploymentTls(certificate);
        }

        // A silo of this program is a processor that rehearses before it joins, unless its configuration says otherwise.
        silo.AddResync(options =>
        {
            options.Silos.Processors = configuration.GetValue($"{ResyncOptions.SectionName}:Silos:Processors", true);
            options.Silos.Rehearse = configuration.GetValue($"{ResyncOptions.SectionName}:Silos:Rehearse", true);
        });
        return settings.Mode == ClusteringMode.Localhost
            ? silo.UseResyncEmbedded(endpoint)
            : silo.UsePostgresClustering(settings, endpoint).AddReferenceServices();
    }

    /// <summary>Where the silo listens: section "Silo" of <paramref name="configuration"/>, the defaults where it says nothing.</summary>
    public static SiloEndpointOptions ReadEndpoint(IConfiguration configuration)
    {
        var endpoint = new SiloEndpointOptions();
        configuration.GetSection(SiloEndpointOptions.SectionName).Bind(endpoint);
        return endpoint;
    }

    /// <summary>Memory storage for Resync, unless the host registered a storage of its own under that name first.</summary>
    private static ISiloBuilder AddResyncMemoryStorageUnlessRegistered(this ISiloBuilder silo) =>
        ResyncStorageCheck.IsRegistered(silo.Services) ? silo : silo.AddResyncMemoryStorage();
}
