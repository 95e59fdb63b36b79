namespace Resync.Engine;

/// <summary>One per epoch (key: the epoch): the conductor of that epoch's round.</summary>
[Alias("resync.ISequencerGrain")]
internal interface ISequencerGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Starts the round of a configuration of the deployment over <paramref name="services"/> (the cluster's agreed order);
    /// returns once it runs. A second call is harmless.
    /// </summary>
    [Alias("Start")] Task Start(Configuration configuration, ImmutableArray<string> services);

    /// <summary>
    /// Runs a silo's rehearsal round (an epoch from 2^62 up, see <see cref="IConfigurationMembership.Rehearse"/>) like any
    /// round, but reports it to no configuration and counts it in no instrument; returns its summary when it ends.
    /// </summary>
    [Alias("Rehearse")] Task<RoundSummary> Rehearse(Configuration configuration, ImmutableArray<string> services);

    /// <summary>
    /// A newer configuration, <paramref name="next"/>, exists. Before its last barrier the round is aborted (contract
    /// item 6) and true is returned at once: the members are told in the background, and nobody waits for them. Past
    /// its last barrier the round is complete and stays so (item 5); it only stops waiting for the last activation
    /// of members that <paramref name="next"/> no longer has, and false is returned.
    /// </summary>
    [AlwaysInterleave, Alias("Supersede")] Task<bool> Supersede(Configuration next, string reason);

    /// <summary>The barrier grain reports that every member arrived at a barrier, with what their requests carried.</summary>
    [AlwaysInterleave, Alias("OnBarrierCompleted")] Task OnBarrierCompleted(BarrierCompletion completion);

    /// <summary>
    /// A member's step failed: a callback of its replica threw (<paramref name="byCluster"/> false), or the runtime
    /// could not deliver a call of the step (true). The round fails and is retried under a new epoch.
    /// </summary>
    [AlwaysInterleave, Alias("OnStepFailed")] Task OnStepFailed(long epoch, int step, string processor, string reason, bool byCluster);

    /// <summary>
    /// The last activation owed to <paramref name="member"/>, which arrived at the last barrier and meets a newer
    /// epoch before the notice of its last activation: its delivery if the round is complete, or null if it was aborted
    /// (or is unknown here, which only an aborted or lost round can be).
    /// </summary>
    [AlwaysInterleave, Alias("FetchFinal")] Task<Delivery?> FetchFinal(string member);

    [AlwaysInterleave, Alias("GetProgress")] Task<RoundProgress?> GetProgress();

    /// <summary>
    /// What a replica's process sent, ahead of its done answer (a long transfer is posted in batches); stored in
    /// the step's mailbox, where a contribution of another epoch, service or step is stale: dropped and counted.
    /// </summary>
    [AlwaysInterleave, Alias("Post")]
    Task Post(ImmutableArray<Contribution> contributions);

    /// <summary>
    /// An all-to-all exchange inside process: stores <paramref name="contribution"/> under <paramref name="phase"/>
    /// and completes, sorted by sender, once every member has gathered under it in the step in flight: with the
    /// whole of what they gathered, or, when that is larger than a batch, its first batch (see <see cref="Delivery"/>).
    /// A contribution of another epoch, service or step is stale: dropped, counted and refused.
    /// </summary>
    [AlwaysInterleave, Alias("Gather")]
    Task<Delivery> Gather(string phase, Contribution contribution);

    /// <summary>Batch <paramref name="batch"/> of what the members gathered under <paramref name="phase"/> in <paramref name="step"/>.</summary>
    [AlwaysInterleave, Alias("FetchGathered")]
    Task<ImmutableArray<Contribution>> FetchGathered(int step, string phase, int batch);

    /// <summary>
    /// Batch <paramref name="batch"/> of what <paramref name="step"/> delivered to <paramref name="member"/>:
    /// the rest of a delivery too large for its notice (see <see cref="Delivery"/>).
    /// </summary>
    [AlwaysInterleave, Alias("Fetch")]
    Task<ImmutableArray<Contribution>> Fetch(int step, string member, int batch);

    /// <summary>
    /// Ahead of the epoch's configuration: activates this sequencer and its barrier, and has each of
    /// <paramref name="members"/> resolve the barrier's address (<see cref="IProcessorGrain.Expect"/>), so that the
    /// round that follows a membership change looks nothing up in a grain directory that is moving its ranges. A
    /// silo's address cache serves all its processors, so one member per silo (its silo processor) is enough. The
    /// warm-up lasts while the epoch is the next one.
    /// </summary>
    [Alias("Warm")] Task Warm(ImmutableArray<string> members);

    /// <summary>A sign of life from the round: a barrier arrival, a replica still processing.</summary>
    [OneWay, AlwaysInterleave, Alias("OnActivity")] Task OnActivity(long epoch);
}
