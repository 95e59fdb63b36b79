using System.Collections.Concurrent;
using Orleans.Serialization;
using Orleans.Storage;

namespace Resync.Clustering;

/// <summary>
/// Grain storage in this process's memory, for a single silo that is the whole cluster and lives and dies
/// with its process (the client's embedded cluster). Not for several silos: each would have its own. Orleans' memory storage keeps state in storage grains, which is right when several
/// silos share it, but costs two grain calls and a copy per write: a third of a small round. Values are
/// kept as the serialized bytes of the state, so no grain shares an object with the store; writes check
/// the ETag as a database would.
/// </summary>
/// <param name="serializer">Turns each state into the bytes that are kept, and back.</param>
/// <param name="store">The store that holds the values, which several silos of one process may share; a new one when null.</param>
public sealed class InProcessGrainStorage(Serializer serializer, InProcessGrainStorage.Store? store = null) : IGrainStorage
{
    private readonly Store _store = store ?? new Store();

    /// <summary>Reads the stored state, if there is one; otherwise leaves <paramref name="grainState"/> as it is.</summary>
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_store.Values.TryGetValue((stateName, grainId), out var stored))
        {
            grainState.State = serializer.Deserialize<T>(stored.Data);
            grainState.ETag = stored.ETag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    /// <summary>Stores the state under a new ETag; throws <see cref="InconsistentStateException"/> when <paramref name="grainState"/> does not hold the stored ETag.</summary>
    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = (stateName, grainId);
        var written = (serializer.SerializeToArray(grainState.State), Guid.NewGuid().ToString("N"));
        if (grainState.ETag is null ? !_store.Values.TryAdd(key, written) : !TryReplace(key, grainState.ETag, written))
        {
            throw new InconsistentStateException($"ETag mismatch writing {stateName} of {grainId}.");
        }

        grainState.ETag = written.Item2;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    /// <summary>Removes the stored state, if any, and clears the ETag.</summary>
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        _store.Values.TryRemove((stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private bool TryReplace((string, GrainId) key, string etag, (byte[], string) value) =>
        _store.Values.TryGetValue(key, out var current) && current.ETag == etag && _store.Values.TryUpdate(key, value, current);

    /// <summary>The stored values; one store may serve several silos of one process (tests that restart silos).</summary>
    public sealed class Store
    {
        internal ConcurrentDictionary<(string State, GrainId Grain), (byte[] Data, string ETag)> Values { get; } = new();
    }
}
