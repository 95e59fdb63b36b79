using Resync.Diagnostics;
using Resync.Runtime;
using Resync.Services;

namespace Resync.Reference.Evt;

/// <summary>
/// EVT: channels, retained events and subscriptions, replicated to every member on write and merged by
/// <see cref="EvtStore"/> in each round. It reads CLM's view activated in the same round, which the
/// synchronization order guarantees is there (contract item 2), and refuses to activate otherwise.
/// </summary>
public sealed class EvtGrain(IOptions<EvtOptions> options, IOptions<ResyncOptions> resync, TimeProvider time) : FullStateSyncService<EvtSnapshot>, IEvtService
{
    /// <summary>The name EVT is registered under.</summary>
    public const string Name = "evt";

    private readonly EvtOptions _options = options.Value;
    private readonly TimeSpan _tombstoneRetention = resync.Value.Writes.TombstoneRetention;
    private EvtStore _store = new();

    /// <inheritdoc />
    public async Task OpenChannel(string channel)
    {
        ItemName.Validate(channel, "channel");
        using var write = await EnterExclusiveWriteAsync();
        await ReplicateAsync(new EvtChannel(channel, true, _store.NextVersion(Processor, ActivatedEpoch)));
    }

    /// <inheritdoc />
    public async Task CloseChannel(string channel)
    {
        ItemName.Validate(channel, "channel");
        using var write = await EnterExclusiveWriteAsync();
        var current = RequireOpen(channel);
        await ReplicateAsync(current with { IsOpen = false, Version = _store.NextVersion(Processor, ActivatedEpoch) });
    }

    /// <inheritdoc />
    public async Task<string> Publish(string channel, byte[] payload, TimeSpan retention)
    {
        ItemName.Validate(channel, "channel");
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Length > _options.MaxPayloadBytes)
        {
            throw new ArgumentException($"Event payload of {payload.Length} bytes exceeds the limit of {_options.MaxPayloadBytes} bytes.");
        }

        if (retention <= TimeSpan.Zero || retention > _options.MaxRetention)
        {
            throw new ArgumentException($"Retention must be positive and at most {_options.MaxRetention}.");
        }

        // The channel is read once the write is admitted: a round in between may have closed or reopened it.
        using var write = await EnterExclusiveWriteAsync();
        var open = RequireOpen(channel);
        var now = time.GetUtcNow();
        var evt = new EvtEvent(Guid.NewGuid().ToString("N"), channel, open.Version, payload, Processor, now, now + retention);
        await ReplicateAsync(evt);
        return evt.Id;
    }

    /// <inheritdoc />
    public async Task Subscribe(string channel)
    {
        ItemName.Validate(channel, "channel");
        using var write = await EnterExclusiveWriteAsync();
        RequireOpen(channel);
        await ReplicateAsync(new EvtSubscription(channel, Processor));
    }

    /// <inheritdoc />
    public Task<ImmutableArray<EvtEvent>> ListEvents(string channel)
    {
        RequireOpen(channel);
        return Task.FromResult(_store.Events(channel, time.GetUtcNow()));
    }

    /// <inheritdoc />
    public Task<ImmutableArray<EvtChannelInfo>> ListChannels() => Task.FromResult(_store.Channels(time.GetUtcNow()));

    /// <inheritdoc />
    public Task<string> GetDigest() => Task.FromResult(_store.Digest(time.GetUtcNow()));

    /// <inheritdoc />
    protected override void ApplyWrite(object write)
    {
        switch (write)
        {
            case EvtChannel channel:
                _store.Apply(channel);
                break;
            case EvtEvent evt:
                _store.Apply(evt, time.GetUtcNow());
                break;
            case EvtSubscription subscription:
                _store.Apply(subscription);
                break;
            default:
                throw new ArgumentException($"EVT does not apply a {write.GetType().Name}.", nameof(write));
        }
    }

    /// <inheritdoc />
    protected override IEnumerable<EvtSnapshot> Contribute(SyncRound round)
    {
        var now = time.GetUtcNow();
        _store.Expire(now);
        return _store.Parts(_options.EventsPerProcessCall, now, _tombstoneRetention);
    }

    /// <inheritdoc />
    protected override async ValueTask MergeAsync(SyncRound round, IReadOnlyList<(string Sender, EvtSnapshot Part)> parts, CancellationToken cancellationToken)
    {
        var view = await GrainFactory.Reference<IClmService>(Processor).GetView();
        if (view.Epoch != round.Epoch)
        {
            throw new InvalidOperationException($"EVT on {Processor} found CLM's view of epoch {view.Epoch} while activating epoch {round.Epoch}.");
        }

        var merged = EvtStore.Merge(round.Epoch, parts, p => view.Find(p) is not null, time.GetUtcNow());
        ResyncInstruments.RecordPruned(Name, _store.TombstonesGoneIn(merged));
        _store = merged;
    }

    private EvtChannel RequireOpen(string channel) =>
        _store.OpenChannel(ItemName.Validate(channel, "channel"))
            ?? throw new ArgumentException($"No open channel named '{channel}' on processor {Processor}.");
}
