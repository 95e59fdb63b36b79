using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Resync.Placement;

/// <summary>
/// Places a processor grain and all its replica grains (they share the processor id as key) on one
/// silo, chosen by a stable hash of the processor id over the compatible silos, so that the calls
/// between a processor and its replicas stay inside one silo.
/// </summary>
[GenerateSerializer, Immutable, Alias("resync.processor-placement")]
public sealed class ProcessorPlacement : PlacementStrategy
{
    internal static ProcessorPlacement Singleton { get; } = new();
}

/// <summary>Marks a grain class whose key is a processor id for <see cref="ProcessorPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ProcessorPlacementAttribute() : PlacementAttribute(ProcessorPlacement.Singleton);

internal sealed class ProcessorPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        if (silos.Length == 0)
        {
            throw new OrleansException($"No silo can host {target.GrainIdentity}.");
        }

        Array.Sort(silos, (a, b) => string.CompareOrdinal(a.ToParsableString(), b.ToParsableString()));
        var processor = target.GrainIdentity.Key.ToString() ?? "";
        return Task.FromResult(silos[(int)(StableHash(processor) % (uint)silos.Length)]);
    }

    // FNV-1a: stable across processes, unlike string.GetHashCode.
    private static uint StableHash(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}
