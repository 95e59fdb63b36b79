using Orleans.Placement;
using Orleans.Runtime.Placement;
using Resync.Protocol;

namespace Resync.Placement;

/// <summary>
/// Places a processor grain and all its replica grains (they share the processor id as key) on one silo.
/// A silo processor ("silo:" and a silo address) lives on that silo and nowhere else: once the silo is
/// gone its replicas are gone, as a crashed node's memory is, and placement refuses to revive them
/// elsewhere. So does a silo's rehearsal processor ("rehearsal:" and its address). A logical processor goes to the silo chosen by a stable hash of its id over the compatible
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
        if (ProcessorId.HomeSilo(processor) is { } address)
        {
            var home = SiloAddress.FromParsableString(address);
            return silos.Contains(home)
                ? Task.FromResult(home)
                : throw new OrleansException($"Processor {processor} is gone with its silo; its replicas are never placed elsewhere.");
        }

        return Task.FromResult(LogicalHome(processor, silos));
    }

    /// <summary>Where a logical processor goes: the silo at its id's stable hash over <paramref name="silos"/> sorted by address.</summary>
    internal static SiloAddress LogicalHome(string processor, IReadOnlyCollection<SiloAddress> silos)
    {
        var sorted = silos.OrderBy(s => s.ToParsableString(), StringComparer.Ordinal).ToArray();
        return sorted[(int)(Fnv1a.Of(processor) % (uint)sorted.Length)];
    }
}
