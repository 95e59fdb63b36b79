using Resync.Services;

namespace Resync.Reference.Ckpt;

/// <summary>
/// CKPT: named checkpoints of sections, replicated to every member on write; in each round the newest version of
/// each checkpoint wins and moves, in chunks of <see cref="CkptOptions.ChunkBytes"/>, from one holder to the
/// members that lack it (<see cref="VersionedItemsSyncService{TItem}"/>).
/// </summary>
public sealed class CkptGrain(IOptions<CkptOptions> options) : VersionedItemsSyncService<CkptCheckpoint>, ICkptService
{
    /// <summary>The name CKPT is registered under.</summary>
    public const string Name = "ckpt";

    private readonly CkptOptions _options = options.Value;

    /// <inheritdoc />
    protected override int ChunkBytes => _options.ChunkBytes;

    /// <inheritdoc />
    public async Task<ItemVersion> Create(string name)
    {
        ItemName.Validate(name, "checkpoint");
        var created = await WriteAsync(name, (current, version) =>
            current is null ? new CkptCheckpoint(name, version, false, []) : throw new ArgumentException($"Checkpoint '{name}' already exists."));
        return created.Version;
    }

    /// <inheritdoc />
    public async Task<ItemVersion> Write(string name, string section, byte[] data)
    {
        ItemName.Validate(name, "checkpoint");
        ItemName.Validate(section, "section");
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length > _options.MaxSectionBytes)
        {
            throw new ArgumentException($"Section '{section}' of {data.Length} bytes exceeds the limit of {_options.MaxSectionBytes} bytes.");
        }

        var written = await WriteAsync(name, (current, version) =>
        {
            var sections = CkptStore.WithSection(Live(current, name).Sections, new CkptSection(section, data));
            var size = sections.Sum(s => (long)s.Data.Length);
            return size <= _options.MaxCheckpointBytes
                ? new CkptCheckpoint(name, version, false, sections)
                : throw new ArgumentException($"Checkpoint '{name}' would hold {size} bytes, over the limit of {_options.MaxCheckpointBytes} bytes.");
        });
        return written.Version;
    }

    /// <inheritdoc />
    public Task<byte[]> Read(string name, string section)
    {
        ItemName.Validate(section, "section");
        return Task.FromResult(RequireLive(name).Sections.FirstOrDefault(s => s.Name == section)?.Data
            ?? throw new ArgumentException($"Checkpoint '{name}' has no section '{section}'."));
    }

    /// <inheritdoc />
    public Task<CkptCheckpoint> Get(string name) => Task.FromResult(RequireLive(name));

    /// <inheritdoc />
    public Task<ImmutableArray<CkptInfo>> List() => Task.FromResult(CkptStore.List(Items));

    /// <inheritdoc />
    public async Task<ItemVersion> Delete(string name)
    {
        ItemName.Validate(name, "checkpoint");
        var deleted = await WriteAsync(name, (current, version) => Live(current, name) with { Version = version, IsDeleted = true, Sections = [] });
        return deleted.Version;
    }

    /// <inheritdoc />
    public Task<string> GetDigest() => Task.FromResult(CkptStore.Digest(Items));

    private CkptCheckpoint RequireLive(string name) => Live(Items.Find(ItemName.Validate(name, "checkpoint")), name);

    private CkptCheckpoint Live(CkptCheckpoint? checkpoint, string name) =>
        checkpoint ?? throw new ArgumentException($"No checkpoint named '{name}' on processor {Processor}.");
}
