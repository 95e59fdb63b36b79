namespace Resync.Clustering;

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
