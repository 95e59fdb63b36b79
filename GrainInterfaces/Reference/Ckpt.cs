namespace Resync.Reference;

/// <summary>
/// A named checkpoint of sections. Every change makes a new <see cref="Version"/> of the whole checkpoint;
/// a deletion is a version too (a tombstone without sections), so a stale replica cannot revive it.
/// </summary>
/// <param name="Name">The checkpoint's name.</param>
/// <param name="Version">The version of the whole checkpoint; of a tombstone, the version of its deletion.</param>
/// <param name="IsDeleted">Whether this version is a deletion: a tombstone, without sections.</param>
/// <param name="Sections">The sections, sorted by name (ordinal).</param>
[GenerateSerializer, Immutable, Alias("resync.ckpt.checkpoint")]
public sealed record CkptCheckpoint(
    [property: Id(0)] string Name,
    [property: Id(1)] ItemVersion Version,
    [property: Id(2)] bool IsDeleted,
    [property: Id(3)] ImmutableArray<CkptSection> Sections) : IChunkedItem<CkptCheckpoint>
{
    /// <inheritdoc />
    string IVersionedItem.Key => Name;

    /// <inheritdoc />
    ImmutableArray<byte[]> IChunkedItem<CkptCheckpoint>.Blobs => [.. Sections.Select(s => s.Data)];

    /// <inheritdoc />
    CkptCheckpoint IChunkedItem<CkptCheckpoint>.WithBlobs(ImmutableArray<byte[]> blobs) =>
        this with { Sections = [.. Sections.Select((section, i) => section with { Data = blobs[i] })] };

    /// <summary>The bytes of all sections together.</summary>
    public long Size => Sections.Sum(s => (long)s.Data.Length);
}

/// <summary>One section of a checkpoint; sections are kept sorted by name (ordinal).</summary>
/// <param name="Name">The section's name, unique in its checkpoint.</param>
/// <param name="Data">The section's bytes.</param>
[GenerateSerializer, Immutable, Alias("resync.ckpt.section")]
public sealed record CkptSection([property: Id(0)] string Name, [property: Id(1)] byte[] Data);

/// <summary>What a list shows of a checkpoint.</summary>
/// <param name="Name">The checkpoint's name.</param>
/// <param name="Version">The checkpoint's current version.</param>
/// <param name="Sections">How many sections it has.</param>
/// <param name="Bytes">The bytes of all its sections together.</param>
[GenerateSerializer, Immutable, Alias("resync.ckpt.info")]
public sealed record CkptInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] ItemVersion Version,
    [property: Id(2)] int Sections,
    [property: Id(3)] long Bytes);

/// <summary>CKPT, the checkpoint service: one replica per processor (key: the processor id).</summary>
[Alias("resync.ICkptService")]
public interface ICkptService : IGrainWithStringKey
{
    /// <summary>Creates an empty checkpoint; acknowledged once every member's replica applied it.</summary>
    [Alias("Create")] Task<ItemVersion> Create(string name);

    /// <summary>Writes one section; acknowledged once every member's replica applied it.</summary>
    [Alias("Write")] Task<ItemVersion> Write(string name, string section, byte[] data);

    /// <summary>Reads one section from the last activated state.</summary>
    [Alias("Read")] Task<byte[]> Read(string name, string section);

    /// <summary>Reads a whole checkpoint from the last activated state.</summary>
    [Alias("Get")] Task<CkptCheckpoint> Get(string name);

    /// <summary>The checkpoints this replica holds, sorted by name; deleted ones are left out.</summary>
    [Alias("List")] Task<ImmutableArray<CkptInfo>> List();

    /// <summary>Deletes a checkpoint; acknowledged once every member's replica applied it.</summary>
    [Alias("Delete")] Task<ItemVersion> Delete(string name);

    /// <summary>A digest of the replica's activated state: equal digests, equal state.</summary>
    [Alias("GetDigest")] Task<string> GetDigest();
}
