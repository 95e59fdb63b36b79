namespace Resync.Services;

/// <summary>How long a deleted item's tombstone is kept, unless a service says otherwise.</summary>
public static class Tombstones
{
    /// <summary>A day: far longer than any processor is expected to be away and still come back with its state.</summary>
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(1);
}
