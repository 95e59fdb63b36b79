using Microsoft.Extensions.DependencyInjection;
using Resync.Diagnostics;
using Resync.Runtime;

namespace Resync.Services;

/// <summary>
/// A replicated collection of versioned items, newest version wins: the representative sender, chunked transfer
/// and replicated writes, all done. A client write (<see cref="WriteAsync"/>) is applied on every member's replica
/// before it returns. In every round the members exchange their indices; for each item one holder of its newest
/// version sends it, only to the members that lack it, a chunked item (<see cref="IChunkedItem{TSelf}"/>) in
/// bounded chunks across process calls; activation switches to the assembled collection. Deletions are tombstones
/// that a round prunes on every member once they are <see cref="TombstoneRetention"/> old (<see cref="TombstoneRound"/>),
/// and every write's version comes from the collection's Lamport clock, so a deleted item never comes back. A service derives,
/// adds its grain interface's methods over <see cref="Items"/> and <see cref="WriteAsync"/>, and is done.
/// </summary>
/// <typeparam name="TItem">The item type: serializable (<c>[GenerateSerializer]</c>) and immutable.</typeparam>
public abstract class VersionedItemsSyncService<TItem> : SyncServiceGrain
    where TItem : class, IVersionedItem
{
    private const string IndexPhase = "index";
    private RepresentativeTransfer<TItem>? _transfer;

    /// <summary>The items this replica serves: the ones it activated in its last round and the writes since.</summary>
    protected VersionedItems<TItem> Items { get; private set; } = new();

    /// <summary>
    /// The most a process call sends, in bytes: a larger transfer takes more calls, each a bounded step of the
    /// round. Override to make it an option of the service.
    /// </summary>
    protected virtual int ChunkBytes => 64 * 1024;

    /// <summary>How long a deletion's tombstone is kept; <see cref="WriteOptions.TombstoneRetention"/> unless overridden.</summary>
    protected virtual TimeSpan TombstoneRetention => ServiceProvider.GetRequiredService<IOptions<ResyncOptions>>().Value.Writes.TombstoneRetention;

    /// <summary>
    /// Writes the next version of the item of <paramref name="key"/> on every member's replica, one write at a time
    /// on this replica. <paramref name="make"/> gets the live item (null if there is none) and the version the new
    /// one must carry, and returns it (a tombstone to delete); it may throw to refuse the write, and nothing is
    /// written then. The failures are <see cref="SyncServiceGrain.ReplicateAsync"/>'s: <see cref="RecoveryInProgressException"/>
    /// (nothing written; retry) and <see cref="WriteOutcomeUnknownException"/> (in doubt).
    /// </summary>
    protected async Task<TItem> WriteAsync(string key, Func<TItem?, ItemVersion, TItem> make)
    {
        using var write = await EnterExclusiveWriteAsync();
        var version = Items.NextVersion(Processor, ActivatedEpoch);
        var item = make(Items.Find(key), version);
        if (item.Key != key || item.Version != version)
        {
            throw new InvalidOperationException($"A write of '{key}' made item '{item.Key}' {item.Version}; it must be '{key}' {version}.");
        }

        await ReplicateAsync(item);
        return item;
    }

    /// <inheritdoc />
    protected sealed override void ApplyWrite(object write) => Items.Apply((TItem)write);

    /// <inheritdoc />
    protected sealed override ValueTask SyncInitAsync(SyncRound round, CancellationToken cancellationToken)
    {
        _transfer = null;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    protected sealed override async ValueTask<ProcessResult> SyncProcessAsync(SyncRound round, CancellationToken cancellationToken)
    {
        if (_transfer is null)
        {
            var index = Items.Index(ServiceProvider.GetRequiredService<TimeProvider>().GetUtcNow(), TombstoneRetention);
            var indices = await round.GatherAsync(IndexPhase, index, cancellationToken);
            _transfer = RepresentativeTransfer<TItem>.Plan(Processor, round.Epoch, Items, indices, ChunkBytes);
        }

        _transfer.SendNext(round.Send);
        return _transfer.HasMoreToSend ? ProcessResult.More : ProcessResult.Done;
    }

    /// <inheritdoc />
    protected sealed override async ValueTask SyncActivateAsync(SyncRound round, CancellationToken cancellationToken)
    {
        var received = await round.ReceiveAsync<object>();
        var assembled = _transfer!.Assemble(Items, received.Select(r => r.Payload));
        ResyncInstruments.RecordPruned(ServiceName, Items.TombstonesGoneIn(assembled));
        Items = assembled;
        _transfer = null;
    }

    /// <inheritdoc />
    protected sealed override ValueTask SyncAbortAsync(SyncRound round)
    {
        _transfer = null;
        return ValueTask.CompletedTask;
    }
}
