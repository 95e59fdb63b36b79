using Resync.Clustering;

namespace Resync.Tests.Infrastructure;

/// <summary>
/// Grain storage that outlives every silo of the test process, standing in for a database: the whole
/// cluster can be stopped and started again and still find its state.
/// </summary>
public static class SharedStorage
{
    private static InProcessGrainStorage.Store _store = new();

    /// <summary>The cluster property that makes a test cluster's silos keep the engine's state here.</summary>
    public const string PropertyName = "SharedStorage";

    public static void Reset() => _store = new();

    public static InProcessGrainStorage Create(Orleans.Serialization.Serializer serializer) => new(serializer, _store);
}
