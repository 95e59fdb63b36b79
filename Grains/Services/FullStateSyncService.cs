namespace Resync.Services;

/// <summary>
/// The full-state exchange: in every round each member contributes its state, or its part of the state, in one
/// or more parts (one per process call, so that a large state is sent in bounded steps), and activation merges
/// every member's parts. The merge must be deterministic, a function of the parts alone and never of the order
/// in which they arrived, so that every member ends with the same state. Suits small states that every member
/// holds in full, or states that each member owns a piece of (a membership list).
/// </summary>
/// <typeparam name="TPart">What a member contributes; serializable and never mutated once sent.</typeparam>
public abstract class FullStateSyncService<TPart> : SyncServiceGrain
    where TPart : notnull
{
    private List<TPart> _outgoing = [];
    private int _sent;

    /// <summary>
    /// What this replica contributes to the round (called once, at init): its state, or its state in parts.
    /// Every member must contribute at least one part if the merge needs to hear from it.
    /// </summary>
    protected abstract IEnumerable<TPart> Contribute(SyncRound round);

    /// <summary>
    /// Builds and switches to the state of the round from every member's parts (sorted by sender, then in the
    /// order each sender made them). Every member calls it with the same parts, so it must decide the same.
    /// </summary>
    protected abstract ValueTask MergeAsync(SyncRound round, IReadOnlyList<(string Sender, TPart Part)> parts, CancellationToken cancellationToken);

    /// <inheritdoc />
    protected sealed override ValueTask SyncInitAsync(SyncRound round, CancellationToken cancellationToken)
    {
        _outgoing = [.. Contribute(round)];
        _sent = 0;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected sealed override ValueTask<ProcessResult> SyncProcessAsync(SyncRound round, CancellationToken cancellationToken)
    {
        if (_sent < _outgoing.Count)
        {
            round.Send(_outgoing[_sent++]);
        }

        return ValueTask.FromResult(_sent < _outgoing.Count ? ProcessResult.More : ProcessResult.Done);
    }

    /// <inheritdoc />
    protected sealed override async ValueTask SyncActivateAsync(SyncRound round, CancellationToken cancellationToken)
    {
        await MergeAsync(round, await round.ReceiveAsync<TPart>(), cancellationToken);
        _outgoing = [];
    }

    /// <inheritdoc />
    protected sealed override ValueTask SyncAbortAsync(SyncRound round)
    {
        _outgoing = [];
        return ValueTask.CompletedTask;
    }
}
