namespace Resync;

/// <summary>
/// One per deployment (key <see cref="Key"/>): owns the configuration and its epoch counter, persisted.
/// Each accepted change makes a new epoch, aborts the round of the old one and starts the new one.
/// </summary>
[Alias("resync.IConfigurationGrain")]
public interface IConfigurationGrain : IGrainWithStringKey
{
    const string Key = "default";

    /// <summary>Adds logical processors. Processors that are already members change nothing.</summary>
    [Alias("Join")] Task<ConfigurationChange> Join(ImmutableArray<string> processors);

    /// <summary>Removes processors; they keep their replicas, as a node cut off by a partition would.</summary>
    [Alias("Leave")] Task<ConfigurationChange> Leave(ImmutableArray<string> processors);

    /// <summary>Removes processors and drops their replicas, as a crash would.</summary>
    [Alias("Fail")] Task<ConfigurationChange> Fail(ImmutableArray<string> processors);

    /// <summary>
    /// A membership watcher proposes the silo processors of the active silos, as of Orleans membership
    /// version <paramref name="membershipVersion"/>, and names (by their silo processors) the silos that left
    /// the cluster since its previous proposal: the logical processors they hosted lost their replicas, so when the silo
    /// processors alone change nothing, a new epoch with the same members rebuilds them. A proposal older
    /// than one already seen is ignored.
    /// </summary>
    [Alias("ProposeSilos")] Task<ConfigurationChange> ProposeSilos(long membershipVersion, ImmutableArray<string> siloProcessors, ImmutableArray<string> departedSilos);

    /// <summary>
    /// Runs the rehearsal round of the silo whose processor is <paramref name="siloProcessor"/>, before it says it
    /// is ready: one round of every service over its rehearsal processor alone ("rehearsal:" and the silo's address,
    /// placed on that silo), under an epoch of its own above the deployment's. Its conductor is placed here, so that
    /// the rehearsal crosses silos as the silo's first round will. It changes no configuration and enters no history.
    /// </summary>
    [AlwaysInterleave, Alias("Rehearse")] Task<RoundSummary> Rehearse(string siloProcessor);

    /// <summary>
    /// A silo's watcher says that its silo processor and replicas are activated: the processor joins as soon
    /// as its silo is also active in the newest membership proposal.
    /// </summary>
    [Alias("SiloReady")] Task<ConfigurationChange> SiloReady(string siloProcessor);

    /// <summary>
    /// A silo that stops cleanly says so before it leaves the Orleans membership: its processor leaves at
    /// once, instead of when the other silos learn of the shutdown.
    /// </summary>
    [Alias("SiloStopping")] Task<ConfigurationChange> SiloStopping(string siloProcessor);

    /// <summary>
    /// The sequencer of <paramref name="epoch"/> evicts processors that missed a step deadline: a new
    /// configuration without them, if <paramref name="epoch"/> is still current. They keep their replicas
    /// and may join again.
    /// </summary>
    [Alias("Evict")] Task<ConfigurationChange> Evict(long epoch, ImmutableArray<string> processors, string reason);

    [Alias("GetConfiguration")] Task<Configuration> GetConfiguration();

    [Alias("GetStatus")] Task<ResyncStatus> GetStatus();

    /// <summary>The last finished rounds, newest last.</summary>
    [Alias("GetHistory")] Task<ImmutableArray<RoundSummary>> GetHistory();

    /// <summary>
    /// Completes with the first round of epoch <paramref name="epoch"/> or later that completed, or
    /// throws <see cref="TimeoutException"/> naming the epoch and what is pending.
    /// </summary>
    [AlwaysInterleave, Alias("WaitForCompletedRound")]
    Task<RoundSummary> WaitForCompletedRound(long epoch, TimeSpan timeout);

    /// <summary>A sequencer reports that its round ended.</summary>
    [OneWay, Alias("OnRoundEnded")] Task OnRoundEnded(RoundSummary summary);

    /// <summary>A barrier, exchange or replica reports traffic that it dropped.</summary>
    [OneWay, Alias("OnDropped")] Task OnDropped(DropCounts counts);
}
