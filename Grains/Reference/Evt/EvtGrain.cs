using Resync.Runtime;
using Resync.Services;

namespace Resync.Reference.Evt;

/// <summary>
/// EVT: channels, retained events and subscriptions, replicated to every member on write and merged by
/// <see cref="EvtStore"/> in each round. It reads CLM's view activated in the same round, which the
/// synchronization order guarantees is there (contract item 2), and refuses to activate otherwise.
/// </summary>
public sealed class EvtGrain(IOptions<EvtOptions> options, TimeProvider time) : SyncServiceGrain, IEvtService
{
    public const string Name = "evt";

    private readonly EvtOptions _options = options.Value;
    private EvtStore _store = new();
    private List<EvtSnapshot> _outgoing = [];
    private int _sent;

    public async Task OpenChannel(string channel)
    {
        ItemName.Validate(channel, "channel");
        using var write = await EnterExclusiveWriteAsync();
        var open = new EvtChannel(channel, true, (_store.Channel(channel)?.Version ?? ItemVersion.None).Next(Processor));
        await ReplicateAsync<IEvtService>(peer => peer.ApplyChannel(open));
        _store.Apply(open);
    }

    public async Task CloseChannel(string channel)
    {
        ItemName.Validate(channel, "channel");
        using var write = await EnterExclusiveWriteAsync();
        var current = RequireOpen(channel);
        var closed = current with { IsOpen = false, Version = current.Version.Next(Processor) };
        await ReplicateAsync<IEvtService>(peer => peer.ApplyChannel(closed));
        _store.Apply(closed);
    }

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
        await ReplicateAsync<IEvtService>(peer => peer.ApplyEvent(evt));
        _store.Apply(evt, now);
        return evt.Id;
    }

    public async Task Subscribe(string channel)
    {
        ItemName.Validate(channel, "channel");
        using var write = await EnterExclusiveWriteAsync();
        RequireOpen(channel);
        var subscription = new EvtSubscription(channel, Processor);
        await ReplicateAsync<IEvtService>(peer => peer.ApplySubscription(subscription));
        _store.Apply(subscription);
    }

    public Task<ImmutableArray<EvtEvent>> ListEvents(string channel)
    {
        RequireOpen(channel);
        return Task.FromResult(_store.Events(channel, time.GetUtcNow()));
    }

    public Task<ImmutableArray<EvtChannelInfo>> ListChannels() => Task.FromResult(_store.Channels(time.GetUtcNow()));

    public Task<string> GetDigest() => Task.FromResult(_store.Digest(time.GetUtcNow()));

    public async Task ApplyChannel(EvtChannel channel)
    {
        using var write = await EnterReplicatedWriteAsync();
        _store.Apply(channel);
    }

    public async Task ApplyEvent(EvtEvent evt)
    {
        using var write = await EnterReplicatedWriteAsync();
        _store.Apply(evt, time.GetUtcNow());
    }

    public async Task ApplySubscription(EvtSubscription subscription)
    {
        using var write = await EnterReplicatedWriteAsync();
        _store.Apply(subscription);
    }

    protected override ValueTask SyncInitAsync(SyncRound round, CancellationToken cancellationToken)
    {
        _store.Expire(time.GetUtcNow());
        _outgoing = [.. _store.Parts(_options.EventsPerProcessCall)];
        _sent = 0;
        return ValueTask.CompletedTask;
    }

    protected override ValueTask<ProcessResult> SyncProcessAsync(SyncRound round, CancellationToken cancellationToken)
    {
        round.Send(_outgoing[_sent++]);
        return ValueTask.FromResult(_sent < _outgoing.Count ? ProcessResult.More : ProcessResult.Done);
    }

    protected override async ValueTask SyncActivateAsync(SyncRound round, CancellationToken cancellationToken)
    {
        var view = await GrainFactory.Reference<IClmService>(Processor).GetView();
        if (view.Epoch != round.Epoch)
        {
            throw new InvalidOperationException($"EVT on {Processor} found CLM's view of epoch {view.Epoch} while activating epoch {round.Epoch}.");
        }

        var contributions = await round.ReceiveAsync();
        _store = EvtStore.Merge(contributions.Payloads<EvtSnapshot>(), p => view.Find(p) is not null, time.GetUtcNow());
        _outgoing = [];
    }

    protected override ValueTask SyncAbortAsync(SyncRound round)
    {
        _outgoing = [];
        return ValueTask.CompletedTask;
    }

    private EvtChannel RequireOpen(string channel) =>
        _store.OpenChannel(ItemName.Validate(channel, "channel"))
            ?? throw new ArgumentException($"No open channel named '{channel}' on processor {Processor}.");
}
