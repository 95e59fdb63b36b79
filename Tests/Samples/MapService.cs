using Orleans;
using Resync;
using Resync.Services;

namespace MapSample;

/// <summary>A replicated string-to-string map: one replica per processor, keyed by the processor's id.</summary>
[Alias("map.IMapService")]
public interface IMapService : IGrainWithStringKey
{
    [Alias("Put")] Task Put(string key, string value);

    [Alias("Get")] Task<string?> Get(string key);
}

[GenerateSerializer, Immutable, Alias("map.entry")]
public sealed record MapEntry([property: Id(0)] string Key, [property: Id(1)] string Value, [property: Id(2)] ItemVersion Version) : IVersionedItem;

public sealed class MapService : VersionedItemsSyncService<MapEntry>, IMapService
{
    // On every member's replica before it returns; in every round, each key's newest version wins everywhere.
    public Task Put(string key, string value) => WriteAsync(key, (_, version) => new MapEntry(key, value, version));

    public Task<string?> Get(string key) => Task.FromResult(Items.Find(key)?.Value);
}
