using Orleans.Runtime.Placement;

namespace Resync.Placement;

/// <summary>Orleans' placement hint (<see cref="IPlacementDirector.PlacementHintKey"/>), which its placement directors honour.</summary>
internal static class PlacementHint
{
    /// <summary>
    /// Makes <paramref name="call"/> with the hint set to the silo of <paramref name="processor"/> (a silo processor; none
    /// for null or a logical processor), so that an activation the call creates goes there. The request context is restored.
    /// </summary>
    public static Task On(string? processor, Func<Task> call)
    {
        if (processor is null || ProcessorId.HomeSilo(processor) is not { } home)
        {
            return call();
        }

        var previous = RequestContext.Get(IPlacementDirector.PlacementHintKey);
        RequestContext.Set(IPlacementDirector.PlacementHintKey, SiloAddress.FromParsableString(home));
        try
        {
            return call();
        }
        finally
        {
            if (previous is null)
            {
                RequestContext.Remove(IPlacementDirector.PlacementHintKey);
            }
            else
            {
                RequestContext.Set(IPlacementDirector.PlacementHintKey, previous);
            }
        }
    }

    /// <summary>Drops the hint that a call brought in, so that it does not travel with every call made from here on.</summary>
    public static void Drop() => RequestContext.Remove(IPlacementDirector.PlacementHintKey);
}
