using Resync.Runtime;

namespace Resync.Protocol;

/// <summary>
/// The services each silo registered, and the order a round synchronizes them in: the union of the live silos' lists, as
/// corosync agrees the union of its members' service lists. The union keeps every list's own order (a service registered
/// after another on any silo comes after it), and places services no list orders against each other by their earliest
/// position in any list, then by name, so that it depends only on the lists, never on which silo asks. Lists that order
/// two services both ways (a misconfiguration) are settled the same way, by earliest position.
/// </summary>
internal static class ServiceCatalog
{
    /// <summary>Refuses a round's service list that is missing, or has a name that is not valid or appears twice.</summary>
    public static void Validate(ImmutableArray<string> services, string parameter)
    {
        if (services.IsDefault || !AreValidAndDistinct(services.AsSpan()))
        {
            throw new ArgumentException($"[{string.Join(", ", services.IsDefault ? [] : services)}] is not a list of valid, distinct service names.", parameter);
        }
    }

    // Every processor checks every round's list: without allocating for a list of a few services, the common case.
    private static bool AreValidAndDistinct(ReadOnlySpan<string> services)
    {
        var seen = services.Length > 16 ? new HashSet<string>(StringComparer.Ordinal) : null;
        for (var i = 0; i < services.Length; i++)
        {
            var name = services[i];
            if (!SyncServiceName.IsValid(name) || (seen is null ? services[..i].Contains(name) : !seen.Add(name)))
            {
                return false;
            }
        }

        return true;
    }

    public static ImmutableArray<string> Order(IEnumerable<ImmutableArray<string>> lists)
    {
        var all = lists.Where(l => !l.IsDefaultOrEmpty).ToList();
        var position = new Dictionary<string, int>(StringComparer.Ordinal);
        var before = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var list in all)
        {
            for (var i = 0; i < list.Length; i++)
            {
                position[list[i]] = Math.Min(position.GetValueOrDefault(list[i], int.MaxValue), i);
                before.TryAdd(list[i], new HashSet<string>(StringComparer.Ordinal));
                if (i > 0)
                {
                    before[list[i]].Add(list[i - 1]);
                }
            }
        }

        var order = ImmutableArray.CreateBuilder<string>(position.Count);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        while (order.Count < position.Count)
        {
            var candidates = position.Keys.Where(s => !placed.Contains(s)).ToList();
            var ready = candidates.Where(s => before[s].All(placed.Contains)).ToList();
            var next = (ready.Count > 0 ? ready : candidates)
                .OrderBy(s => position[s]).ThenBy(s => s, StringComparer.Ordinal).First();
            order.Add(next);
            placed.Add(next);
        }

        return order.MoveToImmutable();
    }
}
