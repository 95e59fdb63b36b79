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

    /// <summary>An empty collection.</summary>
    public VersionedItems()
    {
    }

    /// <summary>A collection of <paramref name="items"/>, the newest version of each key kept.</summary>
    public VersionedItems(IEnumerable<TItem> items)
    {
        foreach (var item in items)
        {
            Apply(item);
        }
    }

    /// <summary>Every item, tombstones included, sorted by key.</summary>
    public IReadOnlyCollection<TItem> All => _items.Values;

    /// <summary>The items that are not deleted, sorted by key.</summary>
    public IEnumerable<TItem> Live => _items.Values.Where(i => !i.IsDeleted);

    /// <summary>How many of the items are tombstones: deletions kept until a round prunes them.</summary>
    public int Tombstones { get; private set; }

    /// <summary>What this collection knows of its versions and deletions; activated with it in every round.</summary>
    public TombstoneLedger Ledger { get; internal set; } = TombstoneLedger.Empty;

    /// <summary>Keeps <paramref name="item"/> if it is newer than the version of its key held here; returns whether it did.</summary>
    public bool Apply(TItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        Ledger = Ledger.Saw(item.Version);
        if (_items.TryGetValue(item.Key, out var current) && current.Version >= item.Version)
        {
            return false;
        }

        Tombstones += (item.IsDeleted ? 1 : 0) - (current?.IsDeleted == true ? 1 : 0);
        _items[item.Key] = item;
        return true;
    }

    /// <summary>The live item of that key, or null if there is none or it was deleted.</summary>
    public TItem? Find(string key) => _items.GetValueOrDefault(key) is { IsDeleted: false } live ? live : null;

    /// <summary>The version held for <paramref name="key"/> (a tombstone's too), or <see cref="ItemVersion.None"/>.</summary>
    public ItemVersion VersionOf(string key) => _items.GetValueOrDefault(key)?.Version ?? ItemVersion.None;

    /// <summary>The version of the next write by <paramref name="writer"/> serving <paramref name="epoch"/>'s state (<see cref="TombstoneLedger.Next"/>).</summary>
    public ItemVersion NextVersion(string writer, long epoch) => Ledger.Next(writer, epoch);

    /// <summary>How many of this collection's tombstones <paramref name="next"/> no longer holds: the ones a round pruned.</summary>
    internal int TombstonesGoneIn(VersionedItems<TItem> next) => Tombstones == 0 ? 0 : _items.Values.Count(i => i.IsDeleted && next.Held(i.Key) is null);

    /// <summary>The item held for <paramref name="key"/>, a tombstone too, or null.</summary>
    internal TItem? Held(string key) => _items.GetValueOrDefault(key);

    internal ItemIndex Index(DateTimeOffset now, TimeSpan retention) =>
        new([.. _items.Values.Select(i => new ItemIndexEntry(i.Key, i.Version, i.IsDeleted))], new TombstoneReport(Ledger, now, retention));
}
