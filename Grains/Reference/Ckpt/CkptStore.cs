using Resync.Services;

namespace Resync.Reference.Ckpt;

/// <summary>What CKPT reads from its checkpoints and how it changes one, without Orleans.</summary>
internal static class CkptStore
{
    public static ImmutableArray<CkptInfo> List(VersionedItems<CkptCheckpoint> checkpoints) =>
        [.. checkpoints.Live.Select(c => new CkptInfo(c.Name, c.Version, c.Sections.Length, c.Size))];

    /// <summary>A digest of every checkpoint, tombstones included: equal digests, equal replicas.</summary>
    public static string Digest(VersionedItems<CkptCheckpoint> checkpoints)
    {
        using var digest = new StateDigest();
        foreach (var checkpoint in checkpoints.All)
        {
            digest.Add(checkpoint.Name).Add(checkpoint.Version).Add(checkpoint.IsDeleted ? 1 : 0);
            foreach (var section in checkpoint.Sections)
            {
                digest.Add(section.Name).Add(section.Data);
            }
        }

        return digest.Finish();
    }

    /// <summary><paramref name="sections"/> with <paramref name="section"/> set, kept sorted by name.</summary>
    public static ImmutableArray<CkptSection> WithSection(ImmutableArray<CkptSection> sections, CkptSection section)
    {
        var kept = sections.Where(s => s.Name != section.Name).Append(section);
        return [.. kept.OrderBy(s => s.Name, StringComparer.Ordinal)];
    }
}
