using Resync.Services;

namespace Resync.Reference.Evt;

/// <summary>
/// The state of one EVT replica and its merge rules, without Orleans. Channels: the newest version of
/// each name wins, and a closed channel is a tombstone that drops its events and subscriptions. Events:
/// the union, deduplicated by id, keeping only unexpired events of the generation of their channel that is
/// open. Subscriptions: the union, keeping only those to open channels of processors in the membership
/// view. Every rule is a union or a maximum, so the result depends neither on arrival order nor on how the
/// contributions were split into chunks.
/// </summary>
internal sealed class EvtStore
{
    private static readonly IComparer<EvtSubscription> SubscriptionOrder = Comparer<EvtSubscription>.Create((a, b) =>
    {
        var byChannel = string.CompareOrdinal(a.Channel, b.Channel);
        return byChannel != 0 ? byChannel : string.CompareOrdinal(a.Processor, b.Processor);
    });

    private readonly SortedDictionary<string, EvtChannel> _channels = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, EvtEvent> _events = new(StringComparer.Ordinal);
    private readonly SortedSet<EvtSubscription> _subscriptions = new(SubscriptionOrder);

    /// <summary>What this replica knows of channel versions and closed channels' tombstones.</summary>
    public TombstoneLedger Ledger { get; private set; } = TombstoneLedger.Empty;

    /// <summary>How many closed channels' tombstones the store holds.</summary>
    public int ClosedChannels => _channels.Values.Count(c => !c.IsOpen);

    public EvtChannel? Channel(string name) => _channels.GetValueOrDefault(name);

    /// <summary>How many of this store's closed channels <paramref name="next"/> no longer holds: the tombstones a round pruned.</summary>
    public int TombstonesGoneIn(EvtStore next) => _channels.Values.Count(c => !c.IsOpen && next.Channel(c.Name) is null);

    /// <summary>The version of the next open or close by <paramref name="writer"/> serving <paramref name="epoch"/>'s state (<see cref="TombstoneLedger.Next"/>).</summary>
    public ItemVersion NextVersion(string writer, long epoch) => Ledger.Next(writer, epoch);

    public EvtChannel? OpenChannel(string name) => _channels.GetValueOrDefault(name) is { IsOpen: true } open ? open : null;

    /// <summary>
    /// Applies a channel version; an older one changes nothing. Versions are unique per write, but should two
    /// differ at the same version, the closed one wins, so that the outcome never depends on order.
    /// </summary>
    public bool Apply(EvtChannel channel)
    {
        Ledger = Ledger.Saw(channel.Version);
        if (_channels.TryGetValue(channel.Name, out var current) &&
            (current.Version > channel.Version || (current.Version == channel.Version && (!current.IsOpen || channel.IsOpen))))
        {
            return false;
        }

        _channels[channel.Name] = channel;
        Prune(channel.Name, DateTimeOffset.MinValue);
        return true;
    }

    /// <summary>Retains an event of the open generation of its channel, unless expired or already held.</summary>
    public bool Apply(EvtEvent evt, DateTimeOffset now) =>
        Accepts(evt, now) && _events.TryAdd(evt.Id, evt);

    public bool Apply(EvtSubscription subscription) =>
        OpenChannel(subscription.Channel) is not null && _subscriptions.Add(subscription);

    /// <summary>
    /// The state as it is contributed to a round, split into parts of at most <paramref name="eventsPerPart"/> events; the
    /// first carries the channels and the tombstones' report (<paramref name="now"/>, <paramref name="retention"/>).
    /// </summary>
    public IEnumerable<EvtSnapshot> Parts(int eventsPerPart, DateTimeOffset now, TimeSpan retention)
    {
        yield return new EvtSnapshot([.. _channels.Values], [], [.. _subscriptions], new TombstoneReport(Ledger, now, retention));
        foreach (var chunk in _events.Values.Chunk(eventsPerPart))
        {
            yield return new EvtSnapshot([], [.. chunk], []);
        }
    }

    /// <summary>
    /// Merges every member's contribution to the round of <paramref name="epoch"/> into a new store (see the class summary
    /// for the rules). Closed channels are tombstones that the round prunes (<see cref="TombstoneRound"/>): one that every
    /// member drops at this activation is gone, and a channel that only a member behind the horizon holds, at most that
    /// old, was closed and pruned while it was away and counts for nothing.
    /// </summary>
    /// <remarks>
    /// Every replica merges every member's parts, so the parts are read once and not copied: channels are
    /// applied first, and only the parts that carry events or subscriptions are read again for them.
    /// </remarks>
    public static EvtStore Merge(long epoch, IReadOnlyList<(string Sender, EvtSnapshot Part)> contributions, Func<string, bool> inView, DateTimeOffset now)
    {
        var tombstones = TombstoneRound.Plan(epoch, contributions.Projected(c => (c.Sender, c.Part.Tombstones)));
        var heldByCurrent = tombstones.KeysHeldByCurrent(contributions, c => c.Sender, c => c.Part.Channels.Select(channel => channel.Name));
        var merged = new EvtStore();
        List<EvtSnapshot>? rest = null;
        for (var i = 0; i < contributions.Count; i++)
        {
            var (sender, part) = contributions[i];
            var behind = heldByCurrent is not null && tombstones.IsBehind(sender);
            foreach (var channel in part.Channels)
            {
                if (!behind || !tombstones.Excludes(sender, channel.Version, heldByCurrent!.Contains(channel.Name)))
                {
                    merged.Apply(channel);
                }
            }

            if (!part.Events.IsEmpty || !part.Subscriptions.IsEmpty)
            {
                (rest ??= []).Add(part);
            }
        }

        merged.Ledger = tombstones.Prune(merged._channels, c => !c.IsOpen, c => c.Version);

        // Events and subscriptions are kept by the final version of their channel, so they go after every channel.
        foreach (var part in rest ?? [])
        {
            foreach (var evt in part.Events)
            {
                merged.Apply(evt, now);
            }

            foreach (var subscription in part.Subscriptions)
            {
                if (inView(subscription.Processor))
                {
                    merged.Apply(subscription);
                }
            }
        }

        return merged;
    }

    public ImmutableArray<EvtEvent> Events(string channel, DateTimeOffset now) =>
        [.. _events.Values.Where(e => e.Channel == channel && e.Expiry > now).OrderBy(e => e.PublishedAt).ThenBy(e => e.Id, StringComparer.Ordinal)];

    public ImmutableArray<EvtChannelInfo> Channels(DateTimeOffset now) =>
        [.. _channels.Values.Where(c => c.IsOpen).Select(c => new EvtChannelInfo(
            c.Name,
            c.Version,
            _events.Values.Count(e => e.Channel == c.Name && e.Expiry > now),
            [.. _subscriptions.Where(s => s.Channel == c.Name).Select(s => s.Processor)]))];

    /// <summary>Drops what expired before <paramref name="now"/>.</summary>
    public void Expire(DateTimeOffset now) => Prune(channel: null, now);

    /// <summary>The digest of the state as of <paramref name="now"/>: expired events do not count.</summary>
    public string Digest(DateTimeOffset now)
    {
        using var digest = new StateDigest();
        foreach (var channel in _channels.Values)
        {
            digest.Add(channel.Name).Add(channel.IsOpen ? 1 : 0).Add(channel.Version);
        }

        foreach (var evt in _events.Values.Where(e => e.Expiry > now))
        {
            digest.Add(evt.Id).Add(evt.Channel).Add(evt.ChannelVersion).Add(evt.Payload).Add(evt.Publisher)
                .Add(evt.PublishedAt.UtcTicks).Add(evt.Expiry.UtcTicks);
        }

        foreach (var subscription in _subscriptions)
        {
            digest.Add(subscription.Channel).Add(subscription.Processor);
        }

        return digest.Finish();
    }

    private bool Accepts(EvtEvent evt, DateTimeOffset now) =>
        evt.Expiry > now && OpenChannel(evt.Channel) is { } channel && channel.Version == evt.ChannelVersion;

    private void Prune(string? channel, DateTimeOffset now)
    {
        foreach (var evt in _events.Values.Where(e => (channel is null || e.Channel == channel) && !Accepts(e, now)).ToList())
        {
            _events.Remove(evt.Id);
        }

        _subscriptions.RemoveWhere(s => (channel is null || s.Channel == channel) && OpenChannel(s.Channel) is null);
    }
}
