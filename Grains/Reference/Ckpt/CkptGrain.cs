using Resync.Services;

namespace Resync.Reference.Ckpt;

/// <summary>
/// CKPT: named checkpoints of sections, replicated to every member on write; in each round the newest
/// version of each checkpoint wins and moves in bounded chunks to the members that lack it (see
/// <see cref="CkptTransfer"/>).
/// </summary>
public sealed class CkptGrain(IOptions<CkptOptions> options) : SyncServiceGrain, ICkptService
{
    public const string Name = "ckpt";
    private const string IndexPhase = "index";

    private readonly CkptOptions _options = options.Value;
    private CkptStore _store = new();
    private CkptTransfer? _transfer;

    public async Task<ItemVersion> Create(string name)
    {
        ItemName.Validate(name, "checkpoint");
        using var write = await EnterExclusiveWriteAsync();
        if (_store.Live(name) is not null)
        {
            throw new ArgumentException($"Checkpoint '{name}' already exists.");
        }

        return await ReplicateAsync(new CkptCheckpoint(name, _store.VersionOf(name).Next(Processor), false, []));
    }

    public async Task<ItemVersion> Write(string name, string section, byte[] data)
    {
        ItemName.Validate(section, "section");
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length > _options.MaxSectionBytes)
        {
            throw new ArgumentException($"Section '{section}' of {data.Length} bytes exceeds the limit of {_options.MaxSectionBytes} bytes.");
        }

        using var write = await EnterExclusiveWriteAsync();
        var current = RequireLive(name);
        var sections = CkptStore.WithSection(current.Sections, new CkptSection(section, data));
        var size = sections.Sum(s => (long)s.Data.Length);
        if (size > _options.MaxCheckpointBytes)
        {
            throw new ArgumentException($"Checkpoint '{name}' would hold {size} bytes, over the limit of {_options.MaxCheckpointBytes} bytes.");
        }

        return await ReplicateAsync(current with { Version = current.Version.Next(Processor), Sections = sections });
    }

    public Task<byte[]> Read(string name, string section)
    {
        ItemName.Validate(section, "section");
        var checkpoint = RequireLive(name);
        return Task.FromResult(checkpoint.Sections.FirstOrDefault(s => s.Name == section)?.Data
            ?? throw new ArgumentException($"Checkpoint '{name}' has no section '{section}'."));
    }

    public Task<CkptCheckpoint> Get(string name) => Task.FromResult(RequireLive(name));

    public Task<ImmutableArray<CkptInfo>> List() => Task.FromResult(_store.List());

    public async Task<ItemVersion> Delete(string name)
    {
        using var write = await EnterExclusiveWriteAsync();
        var current = RequireLive(name);
        return await ReplicateAsync(new CkptCheckpoint(name, current.Version.Next(Processor), true, []));
    }

    public Task<string> GetDigest() => Task.FromResult(_store.Digest());

    public async Task Apply(CkptCheckpoint checkpoint)
    {
        using var write = await EnterReplicatedWriteAsync();
        _store.Apply(checkpoint);
    }

    protected override ValueTask SyncInitAsync(SyncRound round, CancellationToken cancellationToken)
    {
        _transfer = null;
        return ValueTask.CompletedTask;
    }

    protected override async ValueTask<ProcessResult> SyncProcessAsync(SyncRound round, CancellationToken cancellationToken)
    {
        if (_transfer is null)
        {
            var indices = await round.GatherAsync(IndexPhase, new CkptIndex(_store.Index()), cancellationToken);
            _transfer = CkptTransfer.Plan(Processor, _store, indices.PayloadsBySender<CkptIndex>(), _options.ChunkBytes);
        }

        foreach (var (payload, recipients) in _transfer.NextBatch())
        {
            round.Send(payload, recipients);
        }

        return _transfer.HasMoreToSend ? ProcessResult.More : ProcessResult.Done;
    }

    protected override async ValueTask SyncActivateAsync(SyncRound round, CancellationToken cancellationToken)
    {
        var received = await round.ReceiveAsync();
        _store = _transfer!.Assemble(_store, received.Select(c => c.Payload));
        _transfer = null;
    }

    protected override ValueTask SyncAbortAsync(SyncRound round)
    {
        _transfer = null;
        return ValueTask.CompletedTask;
    }

    private async Task<ItemVersion> ReplicateAsync(CkptCheckpoint checkpoint)
    {
        await ReplicateAsync<ICkptService>(peer => peer.Apply(checkpoint));
        _store.Apply(checkpoint);
        return checkpoint.Version;
    }

    private CkptCheckpoint RequireLive(string name) =>
        _store.Live(ItemName.Validate(name, "checkpoint"))
            ?? throw new ArgumentException($"No checkpoint named '{name}' on processor {Processor}.");
}
