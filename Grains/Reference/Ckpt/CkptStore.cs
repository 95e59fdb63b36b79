namespace Resync.Reference.Ckpt;

/// <summary>
/// The checkpoints of one CKPT replica, tombstones included, without Orleans. A checkpoint is replaced
/// only by a newer version of itself, so replicated writes may arrive in any order.
/// </summary>
internal sealed class CkptStore
{
    private readonly SortedDictionary<string, CkptCheckpoint> _checkpoints = new(StringComparer.Ordinal);

    public CkptStore()
    {
    }

    public CkptStore(IEnumerable<CkptCheckpoint> checkpoints)
    {
        foreach (var checkpoint in checkpoints)
        {
            Apply(checkpoint);
        }
    }

    /// <summary>Every checkpoint with its version, tombstones included.</summary>
    public IReadOnlyCollection<CkptCheckpoint> All => _checkpoints.Values;

    public bool Apply(CkptCheckpoint checkpoint)
    {
        if (_checkpoints.TryGetValue(checkpoint.Name, out var current) && current.Version >= checkpoint.Version)
        {
            return false;
        }

        _checkpoints[checkpoint.Name] = checkpoint;
        return true;
    }

    /// <summary>The live checkpoint of that name, or null if it does not exist or was deleted.</summary>
    public CkptCheckpoint? Live(string name) => _checkpoints.GetValueOrDefault(name) is { IsDeleted: false } live ? live : null;

    /// <summary>The version the next write of <paramref name="name"/> follows (a tombstone's too).</summary>
    public ItemVersion VersionOf(string name) => _checkpoints.GetValueOrDefault(name)?.Version ?? ItemVersion.None;

    public ImmutableArray<CkptInfo> List() =>
        [.. _checkpoints.Values.Where(c => !c.IsDeleted).Select(c => new CkptInfo(c.Name, c.Version, c.Sections.Length, c.Size))];

    public ImmutableArray<CkptIndexEntry> Index() =>
        [.. _checkpoints.Values.Select(c => new CkptIndexEntry(c.Name, c.Version, c.IsDeleted, c.Size))];

    public string Digest()
    {
        using var digest = new StateDigest();
        foreach (var checkpoint in _checkpoints.Values)
        {
            digest.Add(checkpoint.Name).Add(checkpoint.Version).Add(checkpoint.IsDeleted ? 1 : 0);
            foreach (var section in checkpoint.Sections)
            {
                digest.Add(section.Name).Add(section.Data);
            }
        }

        return digest.Finish();
    }

    /// <summary>A copy of <paramref name="checkpoint"/> with <paramref name="section"/> set, sections kept sorted.</summary>
    public static ImmutableArray<CkptSection> WithSection(ImmutableArray<CkptSection> sections, CkptSection section)
    {
        var kept = sections.Where(s => s.Name != section.Name).Append(section);
        return [.. kept.OrderBy(s => s.Name, StringComparer.Ordinal)];
    }
}

/// <summary>What a replica tells the others about one of its checkpoints at the start of a round.</summary>
[GenerateSerializer, Immutable, Alias("resync.ckpt.index-entry")]
internal sealed record CkptIndexEntry(
    [property: Id(0)] string Name,
    [property: Id(1)] ItemVersion Version,
    [property: Id(2)] bool IsDeleted,
    [property: Id(3)] long Size);

/// <summary>A replica's index: its checkpoints' versions, tombstones included.</summary>
[GenerateSerializer, Immutable, Alias("resync.ckpt.index")]
internal sealed record CkptIndex([property: Id(0)] ImmutableArray<CkptIndexEntry> Entries) : ISizedPayload
{
    // Every member receives every member's index: at N members with many checkpoints, the gathering is cut into batches.
    public int Bytes => ISizedPayload.DefaultBytes + Entries.Sum(e => 32 + e.Name.Length + e.Version.Writer.Length);
}

/// <summary>The shape of a checkpoint that is being sent: its sections' names and lengths, in order.</summary>
[GenerateSerializer, Immutable, Alias("resync.ckpt.header")]
internal sealed record CkptHeader(
    [property: Id(0)] string Name,
    [property: Id(1)] ItemVersion Version,
    [property: Id(2)] ImmutableArray<string> Sections,
    [property: Id(3)] ImmutableArray<int> Lengths);

/// <summary>
/// A bounded piece of one section of a checkpoint that is being sent: a view of the section's bytes, which
/// are never mutated, so that within a silo a chunk costs no copy.
/// </summary>
[GenerateSerializer, Immutable, Alias("resync.ckpt.chunk")]
internal sealed record CkptChunk(
    [property: Id(0)] string Name,
    [property: Id(1)] ItemVersion Version,
    [property: Id(2)] int Section,
    [property: Id(3)] int Offset,
    [property: Id(4)] ReadOnlyMemory<byte> Data) : ISizedPayload
{
    public int Bytes => Data.Length + ISizedPayload.DefaultBytes;
}
