using Resync.Protocol;

namespace Resync.Engine;

/// <summary>What the configuration grain persists: the configuration (with its epoch) and the last completed epoch.</summary>
[GenerateSerializer, Alias("resync.configuration-state")]
internal sealed class ConfigurationState
{
    [Id(0)] public Configuration Configuration { get; set; } = Configuration.Initial;

    [Id(1)] public long CompletedEpoch { get; set; }

    /// <summary>The Orleans membership version of the newest silo proposal applied.</summary>
    [Id(2)] public long SiloMembershipVersion { get; set; }

    /// <summary>The silo processors of the active silos, as of <see cref="SiloMembershipVersion"/>.</summary>
    [Id(3)] public ImmutableArray<string> ActiveSilos { get; set; } = [];

    /// <summary>The silo processors that said they are ready to join (see <c>SiloAdmission</c>).</summary>
    [Id(4)] public ImmutableArray<string> ReadySilos { get; set; } = [];

    /// <summary>The newest silos whose departure renewed the epoch (see <c>SiloAdmission.NewlyDeparted</c>).</summary>
    [Id(5)] public ImmutableArray<string> DepartedSilos { get; set; } = [];

    /// <summary>The services each silo announced (see <see cref="ServiceCatalog"/>), sorted by silo address.</summary>
    [Id(6)] public ImmutableArray<SiloServiceList> SiloServices { get; set; } = [];
}

/// <summary>
/// The configuration grain's last rounds (bounded by <c>Rounds:HistoryLength</c>), persisted apart from the
/// configuration and off the round's path, at most a second after a round ends: the history survives the loss of the
/// silo that held the grain, or a restart of the whole cluster.
/// </summary>
[GenerateSerializer, Alias("resync.round-history-state")]
internal sealed class RoundHistoryState
{
    [Id(0)] public ImmutableArray<RoundSummary> Rounds { get; set; } = [];
}

/// <summary>The services one silo announced, in its order. A plain class with setters: durable storage keeps state as JSON.</summary>
[GenerateSerializer, Alias("resync.silo-services")]
internal sealed class SiloServiceList
{
    [Id(0)] public string Silo { get; set; } = "";

    [Id(1)] public ImmutableArray<string> Services { get; set; } = [];

    /// <summary>When it announced: a silo that just did may be too new for the membership this silo sees.</summary>
    [Id(2)] public DateTimeOffset AnnouncedAt { get; set; }
}
