using System.Runtime.InteropServices;

namespace Resync.Reference.Ckpt;

/*
 * How CKPT synchronizes, in one round, without Orleans:
 *
 * 1. Every member gathers its index (name, version, deleted, size of each checkpoint) with every other
 *    member's: one all-to-all exchange inside the first process call.
 * 2. From the same indices every member computes the same plan: for each name the newest version wins,
 *    ties broken by writer id (a deletion is a version too). The sender of a winning checkpoint is the
 *    holder of that exact version with the lowest processor id, a current member by construction, so a
 *    sender that left can never be chosen (the 2010 lesson). Its recipients are the members whose index
 *    shows another version. A winning tombstone needs no data.
 * 3. Each sender sends a header and then its sections in chunks, at most the chunk size per process call,
 *    addressed to the recipients only.
 * 4. At activation each member applies the plan: it keeps what already wins, applies winning tombstones,
 *    and assembles the rest from the headers and chunks addressed to it. Nothing depends on the order in
 *    which contributions arrived.
 */
internal sealed class CkptTransfer
{
    private readonly Queue<object> _pending = new();
    private readonly int _chunkBytes;

    private CkptTransfer(Dictionary<string, CkptIndexEntry> winners, int chunkBytes)
    {
        Winners = winners;
        _chunkBytes = chunkBytes;
    }

    /// <summary>The winning version of every checkpoint name known to any member.</summary>
    public IReadOnlyDictionary<string, CkptIndexEntry> Winners { get; }

    public bool HasMoreToSend => _pending.Count > 0;

    public int ChunksQueued { get; private set; }

    /// <remarks>
    /// Every member plans from every member's index, so a member that sends nothing must not pay more than
    /// one read of them: <paramref name="indices"/> is read once and not copied, and only a sender reads it
    /// again, to list its recipients.
    /// </remarks>
    public static CkptTransfer Plan(string me, CkptStore mine, IReadOnlyList<(string Processor, CkptIndex Index)> indices, int chunkBytes)
    {
        // Per name: the newest version, the lowest of its holders (the sender), and how many hold it.
        var newest = new Dictionary<string, (CkptIndexEntry Entry, string Lowest, int Holders)>(StringComparer.Ordinal);
        for (var i = 0; i < indices.Count; i++)
        {
            var (processor, index) = indices[i];
            foreach (var entry in index.Entries)
            {
                ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(newest, entry.Name, out var known);
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

        var transfer = new CkptTransfer(newest.ToDictionary(n => n.Key, n => n.Value.Entry, StringComparer.Ordinal), chunkBytes);
        foreach (var (name, (winner, sender, holders)) in newest.OrderBy(n => n.Key, StringComparer.Ordinal))
        {
            // A winning tombstone needs no data, and a checkpoint every member holds needs no transfer.
            if (winner.IsDeleted || sender != me || holders == indices.Count)
            {
                continue;
            }

            var recipients = indices.Where(i => !i.Index.Entries.Any(e => e.Name == name && e.Version == winner.Version)).Select(i => i.Processor).ToImmutableArray();
            transfer.Queue(mine.Live(name) ?? throw new InvalidOperationException($"Checkpoint '{name}' {winner.Version} is in the index of {me} but not in its store."), recipients);
        }

        return transfer;
    }

    /// <summary>The next batch to send: at most the chunk size of section data, plus headers.</summary>
    public IEnumerable<(object Payload, ImmutableArray<string> Recipients)> NextBatch()
    {
        var bytes = 0;
        while (_pending.Count > 0 && bytes < _chunkBytes)
        {
            var item = (Addressed)_pending.Dequeue();
            if (item.Payload is ChunkOf piece)
            {
                var data = piece.Checkpoint.Sections[piece.Section].Data.AsMemory(piece.Offset, piece.Length);
                bytes += data.Length;
                yield return (new CkptChunk(piece.Checkpoint.Name, piece.Checkpoint.Version, piece.Section, piece.Offset, data), item.Recipients);
            }
            else
            {
                yield return (item.Payload, item.Recipients);
            }
        }
    }

    /// <summary>The store this member activates: the plan applied to its own store and what it received.</summary>
    public CkptStore Assemble(CkptStore mine, IEnumerable<object> received)
    {
        var headers = new Dictionary<string, CkptHeader>(StringComparer.Ordinal);
        var chunks = new Dictionary<string, List<CkptChunk>>(StringComparer.Ordinal);
        foreach (var payload in received)
        {
            switch (payload)
            {
                case CkptHeader header when Winners.GetValueOrDefault(header.Name)?.Version == header.Version:
                    headers[header.Name] = header;
                    break;
                case CkptChunk chunk when Winners.GetValueOrDefault(chunk.Name)?.Version == chunk.Version:
                    if (!chunks.TryGetValue(chunk.Name, out var list))
                    {
                        chunks[chunk.Name] = list = [];
                    }

                    list.Add(chunk);
                    break;
            }
        }

        var result = new List<CkptCheckpoint>();
        foreach (var (name, winner) in Winners)
        {
            var current = mine.All.FirstOrDefault(c => c.Name == name);
            if (current is not null && current.Version == winner.Version)
            {
                result.Add(current);
            }
            else if (winner.IsDeleted)
            {
                result.Add(new CkptCheckpoint(name, winner.Version, true, []));
            }
            else
            {
                result.Add(Build(winner, headers.GetValueOrDefault(name), chunks.GetValueOrDefault(name) ?? []));
            }
        }

        return new CkptStore(result);
    }

    private static CkptCheckpoint Build(CkptIndexEntry winner, CkptHeader? header, List<CkptChunk> chunks)
    {
        if (header is null)
        {
            throw new InvalidOperationException($"Checkpoint '{winner.Name}' {winner.Version} was never sent to this member.");
        }

        var sections = SharedSections(header, chunks);
        var received = new long[sections.Length];
        foreach (var chunk in chunks)
        {
            received[chunk.Section] += chunk.Data.Length;
            if (sections[chunk.Section] is { } shared && MemoryMarshal.TryGetArray(chunk.Data, out var view) && view.Array == shared)
            {
                continue;
            }

            // Every chunk writes its own bytes, and a section missing any is refused below: no need to zero it first.
            var section = sections[chunk.Section] ??= GC.AllocateUninitializedArray<byte>(header.Lengths[chunk.Section]);
            chunk.Data.Span.CopyTo(section.AsSpan(chunk.Offset));
        }

        var built = new CkptSection[sections.Length];
        for (var i = 0; i < sections.Length; i++)
        {
            var data = sections[i] ?? [];
            if (received[i] != header.Lengths[i] || data.Length != header.Lengths[i])
            {
                throw new InvalidOperationException($"Checkpoint '{winner.Name}' {winner.Version}: section '{header.Sections[i]}' arrived with {received[i]} of {header.Lengths[i]} bytes.");
            }

            built[i] = new CkptSection(header.Sections[i], data);
        }

        return new CkptCheckpoint(winner.Name, winner.Version, false, [.. built]);
    }

    /// <summary>
    /// Sections whose chunks are all views, at their own offsets, of one array of the section's length: the
    /// sender's section itself, when the transfer stayed within one silo. Section data is never mutated, so
    /// the array is shared instead of copied; chunks that crossed the wire each have their own and are copied.
    /// </summary>
    private static byte[]?[] SharedSections(CkptHeader header, List<CkptChunk> chunks)
    {
        var shared = new byte[]?[header.Lengths.Length];
        var mixed = new bool[shared.Length];
        foreach (var chunk in chunks)
        {
            var i = chunk.Section;
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

    private void Queue(CkptCheckpoint checkpoint, ImmutableArray<string> recipients)
    {
        _pending.Enqueue(new Addressed(
            new CkptHeader(checkpoint.Name, checkpoint.Version, [.. checkpoint.Sections.Select(s => s.Name)], [.. checkpoint.Sections.Select(s => s.Data.Length)]),
            recipients));
        for (var section = 0; section < checkpoint.Sections.Length; section++)
        {
            var data = checkpoint.Sections[section].Data;
            for (var offset = 0; offset < data.Length; offset += _chunkBytes)
            {
                var length = Math.Min(_chunkBytes, data.Length - offset);
                _pending.Enqueue(new Addressed(new ChunkOf(checkpoint, section, offset, length), recipients));
                ChunksQueued++;
            }
        }
    }

    private sealed record Addressed(object Payload, ImmutableArray<string> Recipients);

    private sealed record ChunkOf(CkptCheckpoint Checkpoint, int Section, int Offset, int Length);
}
