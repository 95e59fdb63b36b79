namespace Resync.Services;

/// <summary>
/// A replica's collection of versioned items, tombstones included, keyed and sorted by <see cref="IVersionedItem.Key"/>
/// (ordinal). An item is replaced only by a newer version of itself, so writes may arrive in any order.
/// </summary>
/// <typeparam name="TItem">The item type.</typeparam>
public sealed class VersionedItems<TItem>
    where TItem : class, IVersionedItem
{
    private readonly SortedDictionary<string, TItem> _items = new(StringComparer.Ordinal);

    // The tombstones in the order this replica learned them, with when: pruning takes them from the front.
    private readonly Queue<(DateTimeOffset LearnedAt, string Key, ItemVersion Version)> _tombstones = new();
    private readonly Dictionary<string, DateTimeOffset> _learned = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;

    /// <summary>An empty collection, whose tombstones are timed by the system's clock.</summary>
    public VersionedItems()
        : this(TimeProvider.System)
    {
    }

    /// <summary>An empty collection, whose tombstones are timed by <paramref name="clock"/>.</summary>
    public VersionedItems(TimeProvider clock) => _clock = clock;

    /// <summary>A collection of <paramref name="items"/>, the newest version of each key kept.</summary>
    public VersionedItems(IEnumerable<TItem> items)
        : this(items, TimeProvider.System)
    {
    }

    /// <summary>A collection of <paramref name="items"/>, the newest version of each key kept, its tombstones timed by <paramref name="clock"/>.</summary>
    public VersionedItems(IEnumerable<TItem> items, TimeProvider clock)
        : this(clock)
    {
        foreach (var item in items)
        {
            Apply(item);
        }
    }

    /// <summary>
    /// The newest epoch at which this replica (or one it synchronized with) pruned tombstones: a replica last activated
    /// before it may still hold items that were deleted since and whose tombstones are gone, so a round does not take
    /// its items (see <see cref="RepresentativeTransfer{TItem}"/>). 0 while nothing was pruned.
    /// </summary>
    public long PruneHorizon { get; internal set; }

    /// <summary>How many tombstones are held (for tests and status).</summary>
    public int Tombstones => _learned.Count;

    /// <summary>Every item, tombstones included, sorted by key.</summary>
    public IReadOnlyCollection<TItem> All => _items.Values;

    /// <summary>The items that are not deleted, sorted by key.</summary>
    public IEnumerable<TItem> Live => _items.Values.Where(i => !i.IsDeleted);

    /// <summary>Keeps <paramref name="item"/> if it is newer than the version of its key held here; returns whether it did.</summary>
    public bool Apply(TItem item) => Adopt(item, null);

    /// <summary>
    /// Removes the tombstones learned at least <paramref name="retention"/> ago, and moves <see cref="PruneHorizon"/> to
    /// <paramref name="activatedEpoch"/> (the epoch this replica serves) when any went. Returns how many went.
    /// </summary>
    public int Prune(TimeSpan retention, long activatedEpoch)
    {
        var before = _clock.GetUtcNow() - retention;
        var pruned = 0;
        while (_tombstones.TryPeek(out var oldest) && oldest.LearnedAt <= before)
        {
            _tombstones.Dequeue();
            // A key written again since its deletion is no tombstone any more; a newer tombstone has its own entry.
            if (_items.TryGetValue(oldest.Key, out var held) && held.IsDeleted && held.Version == oldest.Version)
            {
                _items.Remove(oldest.Key);
                _learned.Remove(oldest.Key);
                pruned++;
            }
        }

        if (pruned > 0)
        {
            PruneHorizon = Math.Max(PruneHorizon, activatedEpoch);
        }

        return pruned;
    }

    /// <summary>Keeps <paramref name="item"/> if it is newer; a tombstone keeps the time it was first learned (<paramref name="learnedAt"/>, or now).</summary>
    internal bool Adopt(TItem item, DateTimeOffset? learnedAt)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (_items.TryGetValue(item.Key, out var current) && current.Version >= item.Version)
        {
            return false;
        }

        _items[item.Key] = item;
        if (item.IsDeleted)
        {
            var learned = learnedAt ?? _clock.GetUtcNow();
            _tombstones.Enqueue((learned, item.Key, item.Version));
            _learned[item.Key] = learned;
        }
        else
        {
            _learned.Remove(item.Key);
        }

        return true;
    }

    /// <summary>When this replica learned the tombstone of <paramref name="key"/>, or null if it holds none.</summary>
    internal DateTimeOffset? LearnedAt(string key) => _learned.TryGetValue(key, out var learned) ? learned : null;

    /// <summary>An empty collection on the same clock.</summary>
    internal VersionedItems<TItem> Empty() => new(_clock);

    /// <summary>The live item of that key, or null if there is none or it was deleted.</summary>
    public TItem? Find(string key) => _items.GetValueOrDefault(key) is { IsDeleted: false } live ? live : null;

    /// <summary>The version held for <paramref name="key"/> (a tombstone's too), or <see cref="ItemVersion.None"/>.</summary>
    public ItemVersion VersionOf(string key) => _items.GetValueOrDefault(key)?.Version ?? ItemVersion.None;

    /// <summary>The item held for <paramref name="key"/>, a tombstone too, or null.</summary>
    internal TItem? Held(string key) => _items.GetValueOrDefault(key);

    internal ItemIndex Index(long activatedEpoch) =>
        new([.. _items.Values.Select(i => new ItemIndexEntry(i.Key, i.Version))]) { Activated = activatedEpoch, Horizon = PruneHorizon };
}
