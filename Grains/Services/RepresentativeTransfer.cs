using System.Runtime.InteropServices;

namespace Resync.Services;

/*
 * The representative sender, in one round, without Orleans:
 *
 * 1. Every member gathers its index (key and version of each item, tombstones included) with every other member's: one
 *    all-to-all exchange inside the first process call.
 * 2. From the same indices every member computes the same plan: for each key the newest version wins, ties
 *    broken by writer id (a deletion is a version too). The sender of a winning item is the holder of that exact
 *    version with the lowest processor id, a current member by construction, so a sender that left can never be
 *    chosen (the 2010 lesson). Its recipients are the members whose index shows another version, or none.
 * 3. Each sender sends the items it represents to their recipients only, at most the chunk size per process
 *    call. A chunked item (IChunkedItem) goes as a header and then its blobs in chunks, so that no message grows
 *    with an item; any other item, tombstones included, goes whole.
 * 4. At activation each member applies the plan: it keeps what already wins and assembles the rest from what was
 *    addressed to it. Nothing depends on the order in which contributions arrived.
 */
internal sealed class RepresentativeTransfer<TItem>
    where TItem : class, IVersionedItem
{
    private readonly Queue<(object Payload, ImmutableArray<string> Recipients)> _pending = new();
    private readonly int _chunkBytes;

    private RepresentativeTransfer(Dictionary<string, ItemIndexEntry> winners, TombstoneLedger ledger, int chunkBytes)
    {
        Winners = winners;
        Ledger = ledger;
        _chunkBytes = chunkBytes;
    }

    /// <summary>The winning version of every key that the members keep after this round (pruned tombstones are not).</summary>
    public IReadOnlyDictionary<string, ItemIndexEntry> Winners { get; }

    /// <summary>The ledger every member activates with its items.</summary>
    public TombstoneLedger Ledger { get; }

    public bool HasMoreToSend => _pending.Count > 0;

    /// <remarks>
    /// Every member plans from every member's index, so a member that sends nothing must not pay more than one
    /// read of them: <paramref name="indices"/> is read once and not copied, and only a sender reads it again, to
    /// list its recipients (a member that is behind the tombstones' horizon costs one more read of the others').
    /// </remarks>
    public static RepresentativeTransfer<TItem> Plan(string me, long epoch, VersionedItems<TItem> mine, IReadOnlyList<(string Processor, ItemIndex Index)> indices, int chunkBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        var tombstones = TombstoneRound.Plan(epoch, indices.Projected(i => (i.Processor, i.Index.Tombstones)));
        var heldByCurrent = tombstones.KeysHeldByCurrent(indices, i => i.Processor, i => i.Index.Entries.Select(e => e.Key));

        // Per key: the newest version, the lowest of its holders (the sender), and how many hold it.
        var newest = new Dictionary<string, (ItemIndexEntry Entry, string Lowest, int Holders)>(StringComparer.Ordinal);
        for (var i = 0; i < indices.Count; i++)
        {
            var (processor, index) = indices[i];
            var behind = heldByCurrent is not null && tombstones.IsBehind(processor);
            foreach (var entry in index.Entries)
            {
                if (behind && tombstones.Excludes(processor, entry.Version, heldByCurrent!.Contains(entry.Key)))
                {
                    continue;
                }

                ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(newest, entry.Key, out var known);
                if (!known || entry.Version > slot.Entry.Version)
                {
                    slot = (entry, processor, 1);
                }
                else if (entry.Version == slot.Entry.Version)
                {
                    slot = (slot.Entry, string.CompareOrdinal(processor, slot.Lowest) < 0 ? processor : slot.Lowest, slot.Holders + 1);
                }
            }
        }

        // A tombstone that every member drops at activation is never sent.
        var ledger = tombstones.Prune(newest, n => n.Entry.IsDeleted, n => n.Entry.Version);
        var transfer = new RepresentativeTransfer<TItem>(newest.ToDictionary(n => n.Key, n => n.Value.Entry, StringComparer.Ordinal), ledger, chunkBytes);
        Dictionary<string, ItemVersion>[]? held = null;
        foreach (var (key, (winner, sender, holders)) in newest.OrderBy(n => n.Key, StringComparer.Ordinal))
        {
            if (sender != me || holders == indices.Count)
            {
                continue;
            }

            // Only a sender reads the indices again, each once, as a map from key to version.
            held ??= [.. indices.Select(i => i.Index.Entries.ToDictionary(e => e.Key, e => e.Version, StringComparer.Ordinal))];
            var recipients = indices.Where((_, i) => held[i].GetValueOrDefault(key) != winner.Version).Select(i => i.Processor).ToImmutableArray();
            var item = mine.Held(key) is { } mineItem && mineItem.Version == winner.Version
                ? mineItem
                : throw new InvalidOperationException($"Item '{key}' {winner.Version} is in the index of {me} but not in its items.");
            transfer.Queue(item, recipients);
        }

        return transfer;
    }

    /// <summary>
    /// Sends the next batch through <paramref name="send"/> (which returns the bytes a payload takes on the wire):
    /// at most the chunk size, or one payload if that alone is larger.
    /// </summary>
    public void SendNext(Func<object, ImmutableArray<string>, int> send)
    {
        var bytes = 0;
        while (_pending.Count > 0 && bytes < _chunkBytes)
        {
            var (payload, recipients) = _pending.Dequeue();
            bytes += send(payload, recipients);
        }
    }

    /// <summary>The items this member activates: the plan applied to its own items and what it received.</summary>
    public VersionedItems<TItem> Assemble(VersionedItems<TItem> mine, IEnumerable<object> received)
    {
        var wholes = new Dictionary<string, TItem>(StringComparer.Ordinal);
        var headers = new Dictionary<string, ItemHeader>(StringComparer.Ordinal);
        var chunks = new Dictionary<string, List<ItemChunk>>(StringComparer.Ordinal);
        foreach (var payload in received)
        {
            switch (payload)
            {
                case TItem item when Wins(item.Key, item.Version):
                    wholes[item.Key] = item;
                    break;
                case ItemHeader header when Wins(header.Shell.Key, header.Shell.Version):
                    headers[header.Shell.Key] = header;
                    break;
                case ItemChunk chunk when Wins(chunk.Key, chunk.Version):
                    if (!chunks.TryGetValue(chunk.Key, out var list))
                    {
                        chunks[chunk.Key] = list = [];
                    }

                    list.Add(chunk);
                    break;
            }
        }

        var result = new VersionedItems<TItem>();
        foreach (var (key, winner) in Winners)
        {
            if (mine.Held(key) is { } current && current.Version == winner.Version)
            {
                result.Apply(current);
            }
            else if (wholes.TryGetValue(key, out var whole))
            {
                result.Apply(whole);
            }
            else
            {
                result.Apply(Build(winner, headers.GetValueOrDefault(key), chunks.GetValueOrDefault(key) ?? []));
            }
        }

        result.Ledger = Ledger;
        return result;
    }

    private bool Wins(string key, ItemVersion version) => Winners.GetValueOrDefault(key)?.Version == version;

    private static TItem Build(ItemIndexEntry winner, ItemHeader? header, List<ItemChunk> chunks)
    {
        if (header is null)
        {
            throw new InvalidOperationException($"Item '{winner.Key}' {winner.Version} was never sent to this member.");
        }

        var blobs = SharedBlobs(header, chunks);
        var received = new long[blobs.Length];
        foreach (var chunk in chunks)
        {
            received[chunk.Blob] += chunk.Data.Length;
            if (blobs[chunk.Blob] is { } shared && MemoryMarshal.TryGetArray(chunk.Data, out var view) && view.Array == shared)
            {
                continue;
            }

            // Every chunk writes its own bytes, and a blob missing any is refused below: no need to zero it first.
            var blob = blobs[chunk.Blob] ??= GC.AllocateUninitializedArray<byte>(header.Lengths[chunk.Blob]);
            chunk.Data.Span.CopyTo(blob.AsSpan(chunk.Offset));
        }

        for (var i = 0; i < blobs.Length; i++)
        {
            blobs[i] ??= [];
            if (received[i] != header.Lengths[i] || blobs[i]!.Length != header.Lengths[i])
            {
                throw new InvalidOperationException($"Item '{winner.Key}' {winner.Version}: blob {i} arrived with {received[i]} of {header.Lengths[i]} bytes.");
            }
        }

        return ((IChunkedItem<TItem>)header.Shell).WithBlobs([.. blobs.Select(b => b!)]);
    }

    /// <summary>
    /// Blobs whose chunks are all views, at their own offsets, of one array of the blob's length: the sender's blob
    /// itself, when the transfer stayed within one silo. Blobs are never mutated, so the array is shared instead of
    /// copied; chunks that crossed the wire each have their own and are copied.
    /// </summary>
    private static byte[]?[] SharedBlobs(ItemHeader header, List<ItemChunk> chunks)
    {
        var shared = new byte[]?[header.Lengths.Length];
        var mixed = new bool[shared.Length];
        foreach (var chunk in chunks)
        {
            var i = chunk.Blob;
            if (i < 0 || i >= shared.Length || mixed[i])
            {
                continue;
            }

            if (MemoryMarshal.TryGetArray(chunk.Data, out var view) && view.Offset == chunk.Offset &&
                view.Array!.Length == header.Lengths[i] && (shared[i] ??= view.Array) == view.Array)
            {
                continue;
            }

            (shared[i], mixed[i]) = (null, true);
        }

        return shared;
    }

    private void Queue(TItem item, ImmutableArray<string> recipients)
    {
        if (item.IsDeleted || item is not IChunkedItem<TItem> chunked)
        {
            _pending.Enqueue((item, recipients));
            return;
        }

        var blobs = chunked.Blobs;
        _pending.Enqueue((new ItemHeader(chunked.WithBlobs([.. blobs.Select(_ => Array.Empty<byte>())]), [.. blobs.Select(b => b.Length)]), recipients));
        for (var blob = 0; blob < blobs.Length; blob++)
        {
            var data = blobs[blob];
            for (var offset = 0; offset < data.Length; offset += _chunkBytes)
            {
                var length = Math.Min(_chunkBytes, data.Length - offset);
                _pending.Enqueue((new ItemChunk(item.Key, item.Version, blob, offset, data.AsMemory(offset, length)), recipients));
            }
        }
    }
}
