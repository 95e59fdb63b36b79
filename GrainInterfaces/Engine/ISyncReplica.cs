namespace Resync.Engine;

/// <summary>
/// The engine's side of a service replica (one grain per service and processor, key: the processor id).
/// Service authors do not implement this; they derive from the engine's <c>SyncServiceGrain</c>.
/// </summary>
[Alias("resync.ISyncReplica")]
internal interface ISyncReplica : IGrainWithStringKey
{
    /// <summary>
    /// Stops writes for the round, waits for the writes in flight, runs init, then process until it answers done or the
    /// round is aborted; the report carries what it sent. A repeat for the same epoch is a duplicate: it changes nothing.
    /// </summary>
    [Alias("Run")] Task<StepReport> Run(RoundStep step);

    /// <summary>
    /// Switches to the state built in the round of <paramref name="epoch"/>, at most once per round, with
    /// <paramref name="received"/>: what the members sent to this replica (or to all) in that round, sorted
    /// by sender and sequence.
    /// </summary>
    [Alias("Activate")] Task Activate(long epoch, ImmutableArray<Contribution> received);

    /// <summary>
    /// Discards what the round of <paramref name="epoch"/> staged; idempotent. Returns at once: the service's abort callback
    /// runs after the callback in flight returns, never beside it.
    /// </summary>
    [AlwaysInterleave, Alias("Abort")] Task Abort(long epoch);

    /// <summary>The processor left the configuration in <paramref name="epoch"/>: stop taking client writes.</summary>
    [AlwaysInterleave, Alias("Leave")] Task Leave(long epoch);

    /// <summary>
    /// Applies a write that another member's replica coordinates (<c>SyncServiceGrain.ReplicateAsync</c>) on the state of the
    /// round of <paramref name="epoch"/>. A replica whose round's merge is still ahead refuses at once with
    /// <see cref="RecoveryInProgressException"/>, so that the coordinator (which holds its own writes back) cannot wait on a
    /// round that waits for it; one whose activation is pending waits for it. Answers false, applying nothing, when this
    /// replica activated a newer round than <paramref name="epoch"/>: that round's merge decided without the write.
    /// </summary>
    [Alias("ApplyWrite")] Task<bool> ApplyWrite(object write, long epoch);

    /// <summary>Nothing but the activation: the replica is in memory before its first round.</summary>
    [Alias("Warm")] Task Warm();

    /// <summary>Forgets everything, as a crash would.</summary>
    [AlwaysInterleave, Alias("Crash")] Task Crash();
}
