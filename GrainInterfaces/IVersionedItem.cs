namespace Resync;

/// <summary>
/// An item of a replicated collection that every round settles by "newest version wins" (see
/// <c>Resync.Services.VersionedItemsSyncService</c>): a key, a version, and whether this version is a deletion.
/// A record with properties of these names implements it as it stands.
/// </summary>
public interface IVersionedItem
{
    /// <summary>The item's key, unique in its collection (compared ordinally).</summary>
    string Key { get; }

    /// <summary>The item's version: every write makes a newer one.</summary>
    ItemVersion Version { get; }

    /// <summary>
    /// Whether this version deletes the item. A deletion is a version too (a tombstone), so that a replica
    /// holding an older version cannot bring the item back.
    /// </summary>
    bool IsDeleted => false;
}

/// <summary>
/// A versioned item with large parts (blobs) that a round moves in bounded chunks instead of whole, so that
/// no message grows with the item. The blobs are never mutated once the item exists.
/// </summary>
/// <typeparam name="TSelf">The item type itself.</typeparam>
public interface IChunkedItem<TSelf> : IVersionedItem
{
    /// <summary>The item's large parts, in a fixed order.</summary>
    ImmutableArray<byte[]> Blobs { get; }

    /// <summary>This item with <paramref name="blobs"/> in place of its own (as many, in the same order).</summary>
    TSelf WithBlobs(ImmutableArray<byte[]> blobs);
}
