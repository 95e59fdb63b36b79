namespace Resync.Engine;

/// <summary>The silos' side of the configuration grain: their membership proposals, arrivals and departures.</summary>
[Alias("resync.IConfigurationMembership")]
internal interface IConfigurationMembership : IGrainWithStringKey
{
    /// <summary>
    /// A silo says which services it registered, in its order (at its start, before its processor is ready): the rounds
    /// synchronize the union of the live silos' services, and a silo's processors take part in the steps of services it
    /// lacks without a replica.
    /// </summary>
    [Alias("AnnounceServices")] Task AnnounceServices(string silo, ImmutableArray<string> services);

    /// <summary>
    /// A silo proposes the silo processors of the active silos, as of Orleans membership
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
    /// A silo (its SiloArrival) says that its silo processor and replicas are activated: the processor joins as soon
    /// as its silo is also active in the newest membership proposal.
    /// </summary>
    [Alias("SiloReady")] Task<ConfigurationChange> SiloReady(string siloProcessor);

    /// <summary>
    /// A silo that stops cleanly says so before it leaves the Orleans membership: its processor leaves at
    /// once, instead of when the other silos learn of the shutdown.
    /// </summary>
    [Alias("SiloStopping")] Task<ConfigurationChange> SiloStopping(string siloProcessor);
}
