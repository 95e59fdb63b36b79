using System.Collections.Concurrent;

namespace Resync.Runtime;

/// <summary>
/// Grain references for the engine's hot paths. <c>GetGrain</c> resolves the grain type and the interface
/// type through reflection (custom attributes) on every call, which the benchmark's profiles showed at a
/// few percent of a round's time and allocations; here they are resolved once per interface and grain
/// class, and a reference is then an id and a lookup.
/// </summary>
public static class GrainReferences
{
    private static readonly ConcurrentDictionary<(Type Interface, string? GrainClass), (GrainType Type, GrainInterfaceType Interface)> Types = new();

    /// <summary>
    /// The grain of <typeparamref name="T"/> with <paramref name="key"/>, as <c>GetGrain</c> gives it;
    /// <paramref name="grainClass"/> names the implementing class (its full name, or a prefix of it) when several classes
    /// implement <typeparamref name="T"/>.
    /// </summary>
    public static T Reference<T>(this IGrainFactory grains, string key, string? grainClass = null)
        where T : IGrainWithStringKey =>
        Types.TryGetValue((typeof(T), grainClass), out var types)
            ? (T)grains.GetGrain(GrainId.Create(types.Type, key), types.Interface)
            : Learn(grains.GetGrain<T>(key, grainClass), grainClass);

    /// <summary>The grain of <typeparamref name="T"/> with <paramref name="key"/>, as <c>GetGrain</c> gives it.</summary>
    public static T Reference<T>(this IGrainFactory grains, long key)
        where T : IGrainWithIntegerKey =>
        Types.TryGetValue((typeof(T), null), out var types)
            ? (T)grains.GetGrain(GrainId.Create(types.Type, GrainIdKeyExtensions.CreateIntegerKey(key)), types.Interface)
            : Learn(grains.GetGrain<T>(key), null);

    private static T Learn<T>(T grain, string? grainClass)
    {
        var reference = (GrainReference)(object)grain!;
        Types.TryAdd((typeof(T), grainClass), (reference.GrainId.Type, reference.InterfaceType));
        return grain;
    }
}
