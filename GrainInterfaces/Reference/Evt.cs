namespace Resync.Reference;

/// <summary>A channel; a closed channel is a tombstone that keeps its version, so a stale replica cannot revive it.</summary>
/// <param name="Name">The channel's name.</param>
/// <param name="IsOpen">Whether the channel is open; false for a closed channel's tombstone.</param>
/// <param name="Version">The version of the channel's last open or close.</param>
[GenerateSerializer, Immutable, Alias("resync.evt.channel")]
public sealed record EvtChannel(
    [property: Id(0)] string Name,
    [property: Id(1)] bool IsOpen,
    [property: Id(2)] ItemVersion Version);

/// <summary>A retained event, published on the channel generation <see cref="ChannelVersion"/>.</summary>
/// <param name="Id">The event's id, unique, given when it is published.</param>
/// <param name="Channel">The channel it was published on.</param>
/// <param name="ChannelVersion">
/// The version that opened the generation of the channel the event was published on: once a channel is
/// closed and opened again, the events of its earlier generation are gone.
/// </param>
/// <param name="Payload">The event's bytes.</param>
/// <param name="Publisher">The processor that published it.</param>
/// <param name="PublishedAt">When it was published.</param>
/// <param name="Expiry">When its retention ends; it is dropped after that.</param>
[GenerateSerializer, Immutable, Alias("resync.evt.event")]
public sealed record EvtEvent(
    [property: Id(0)] string Id,
    [property: Id(1)] string Channel,
    [property: Id(2)] ItemVersion ChannelVersion,
    [property: Id(3)] byte[] Payload,
    [property: Id(4)] string Publisher,
    [property: Id(5)] DateTimeOffset PublishedAt,
    [property: Id(6)] DateTimeOffset Expiry);

/// <summary>A processor's subscription to a channel.</summary>
/// <param name="Channel">The channel subscribed to.</param>
/// <param name="Processor">The subscribed processor.</param>
[GenerateSerializer, Immutable, Alias("resync.evt.subscription")]
public sealed record EvtSubscription([property: Id(0)] string Channel, [property: Id(1)] string Processor);

/// <summary>
/// The whole state of an EVT replica, as contributed to a round: channels by name, events by id,
/// subscriptions by channel then processor, all sorted ordinally.
/// </summary>
/// <param name="Channels">The channels, closed ones' tombstones included, sorted by name.</param>
/// <param name="Events">The retained events, sorted by id.</param>
/// <param name="Subscriptions">The subscriptions, sorted by channel, then processor.</param>
/// <param name="Tombstones">The replica's report of its closed channels' tombstones, in the first part it contributes; null in the others.</param>
[GenerateSerializer, Immutable, Alias("resync.evt.snapshot")]
public sealed record EvtSnapshot(
    [property: Id(0)] ImmutableArray<EvtChannel> Channels,
    [property: Id(1)] ImmutableArray<EvtEvent> Events,
    [property: Id(2)] ImmutableArray<EvtSubscription> Subscriptions,
    [property: Id(3)] TombstoneReport? Tombstones = null);

/// <summary>EVT, the event service: one replica per processor (key: the processor id).</summary>
[Alias("resync.IEvtService")]
public interface IEvtService : IGrainWithStringKey
{
    /// <summary>Opens (or reopens) a channel; acknowledged once every member's replica holds it.</summary>
    [Alias("OpenChannel")] Task OpenChannel(string channel);

    /// <summary>Closes a channel and drops its retained events.</summary>
    [Alias("CloseChannel")] Task CloseChannel(string channel);

    /// <summary>Publishes an event on an open channel; acknowledged once every member's replica holds it. Returns its id.</summary>
    [Alias("Publish")] Task<string> Publish(string channel, byte[] payload, TimeSpan retention);

    /// <summary>Subscribes this processor to an open channel.</summary>
    [Alias("Subscribe")] Task Subscribe(string channel);

    /// <summary>The retained, unexpired events of a channel, oldest first.</summary>
    [Alias("ListEvents")] Task<ImmutableArray<EvtEvent>> ListEvents(string channel);

    /// <summary>The open channels with their subscribers.</summary>
    [Alias("ListChannels")] Task<ImmutableArray<EvtChannelInfo>> ListChannels();

    /// <summary>A digest of the replica's activated state: equal digests, equal state.</summary>
    [Alias("GetDigest")] Task<string> GetDigest();
}

/// <summary>What a list shows of an open channel.</summary>
/// <param name="Name">The channel's name.</param>
/// <param name="Version">The version of its last open.</param>
/// <param name="RetainedEvents">How many unexpired events it retains.</param>
/// <param name="Subscribers">The subscribed processors, sorted (ordinal).</param>
[GenerateSerializer, Immutable, Alias("resync.evt.channel-info")]
public sealed record EvtChannelInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] ItemVersion Version,
    [property: Id(2)] int RetainedEvents,
    [property: Id(3)] ImmutableArray<string> Subscribers);
