using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace Resync.Placement;

/// <summary>
/// Places a processor grain and all its replica grains (they share the processor id as key) on one silo.
/// A silo processor ("silo:" and a silo address) lives on that silo and nowhere else: once the silo is
/// gone its replicas are gone, as a crashed node's memory is, and placement refuses to revive them
/// elsewhere. A logical processor goes to the silo chosen by a stable hash of its id over the compatible
/// silos, so that the calls between a processor and its replicas stay inside one silo.
/// </summary>
[GenerateSerializer, Immutable, Alias("resync.processor-placement")]
public sealed class ProcessorPlacement : PlacementStrategy
{
    internal static ProcessorPlacement Singleton { get; } = new();

    /// <summary>The id of the processor that a silo hosts.</summary>
    public static string SiloProcessor(SiloAddress silo) => ProcessorId.SiloPrefix + silo.ToParsableString();
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

        var processor = target.GrainIdentity.Key.ToString() ?? "";
        if (ProcessorId.IsSilo(processor))
        {
            var home = SiloAddress.FromParsableString(processor[ProcessorId.SiloPrefix.Length..]);
            return silos.Contains(home)
                ? Task.FromResult(home)
                : throw new OrleansException($"Silo processor {processor} is gone with its silo; its replicas are never placed elsewhere.");
        }

        Array.Sort(silos, (a, b) => string.CompareOrdinal(a.ToParsableString(), b.ToParsableString()));
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
