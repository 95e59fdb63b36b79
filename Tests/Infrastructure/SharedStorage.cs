using System.Collections.Concurrent;
using Orleans.Storage;

namespace Resync.Tests.Infrastructure;

/// <summary>
/// Grain storage that outlives every silo of the test process, standing in for a database: the whole
/// cluster can be stopped and started again and still find its state. Values are kept as the serialized
/// bytes of the state, so no silo shares an object with another.
/// </summary>
public sealed class SharedStorage(Orleans.Serialization.Serializer serializer) : IGrainStorage
{
    private static ConcurrentDictionary<(string, GrainId), (byte[] Data, string ETag)> _store = new();
    private readonly Orleans.Serialization.Serializer _serializer = serializer;

    /// <summary>The cluster property that makes a test cluster's silos keep the engine's state here.</summary>
    public const string PropertyName = "SharedStorage";

    public static void Reset() => _store = new();

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_store.TryGetValue((stateName, grainId), out var stored))
        {
            grainState.State = _serializer.Deserialize<T>(stored.Data);
            grainState.ETag = stored.ETag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var etag = Guid.NewGuid().ToString("N");
        var key = (stateName, grainId);
        var data = _serializer.SerializeToArray(grainState.State);
        if (grainState.ETag is null ? !_store.TryAdd(key, (data, etag)) : !TryReplace(key, grainState.ETag, (data, etag)))
        {
            throw new InconsistentStateException($"ETag mismatch writing {stateName} of {grainId}.");
        }

        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        _store.TryRemove((stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private bool TryReplace((string, GrainId) key, string etag, (byte[], string) value) =>
        _store.TryGetValue(key, out var current) && current.ETag == etag && _store.TryUpdate(key, value, current);
}
