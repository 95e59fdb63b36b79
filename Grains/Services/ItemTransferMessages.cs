namespace Resync.Services;

/// <summary>
/// What a replica tells the others of its items at the start of a round: each key's version, tombstones included (a
/// deletion is a version), and its ledger of tombstones (null from a silo of a version before tombstones were pruned).
/// </summary>
[GenerateSerializer, Immutable, Alias("resync.items.index")]
internal sealed record ItemIndex([property: Id(0)] ImmutableArray<ItemIndexEntry> Entries, [property: Id(1)] TombstoneReport? Tombstones);

[GenerateSerializer, Immutable, Alias("resync.items.index-entry")]
internal sealed record ItemIndexEntry([property: Id(0)] string Key, [property: Id(1)] ItemVersion Version, [property: Id(2)] bool IsDeleted);

/// <summary>A chunked item that is being sent, without its blobs (<see cref="Shell"/>), and each blob's length.</summary>
[GenerateSerializer, Immutable, Alias("resync.items.header")]
internal sealed record ItemHeader([property: Id(0)] IVersionedItem Shell, [property: Id(1)] ImmutableArray<int> Lengths);

/// <summary>
/// A bounded piece of one blob of a chunked item that is being sent: a view of the blob's bytes, which are never
/// mutated, so that within a silo a chunk costs no copy.
/// </summary>
[GenerateSerializer, Immutable, Alias("resync.items.chunk")]
internal sealed record ItemChunk(
    [property: Id(0)] string Key,
    [property: Id(1)] ItemVersion Version,
    [property: Id(2)] int Blob,
    [property: Id(3)] int Offset,
    [property: Id(4)] ReadOnlyMemory<byte> Data);
