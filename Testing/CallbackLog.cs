namespace Resync.Testing;

/// <summary>
/// The legality of callback logs, as the contract states it, without Orleans. Each check returns the violations as
/// sentences that name the entries (epoch, step, service, processor and place in the log); an empty list means legal.
/// </summary>
public static class CallbackLog
{
    /// <summary>
    /// Per replica (service and processor): epochs never go back; each epoch's callbacks are init, process
    /// at least once, then activate, or init, process any number of times, then abort; nothing follows its
    /// activate or abort; abort only for epochs older than <paramref name="finalEpoch"/>.
    /// </summary>
    public static List<string> CheckReplicas(IEnumerable<CallbackEntry> entries, long finalEpoch)
    {
        var violations = new List<string>();
        foreach (var replica in entries.GroupBy(e => (e.Service, e.Processor)))
        {
            CallbackEntry? previous = null;
            var state = "";
            foreach (var entry in replica.OrderBy(e => e.Sequence))
            {
                if (previous is not null && entry.Epoch < previous.Epoch)
                {
                    violations.Add($"epoch went back: {previous} then {entry}");
                }

                var newEpoch = previous is null || entry.Epoch != previous.Epoch;
                var legal = (newEpoch, state, entry.Callback) switch
                {
                    (true, _, "init") => true,
                    (false, "init" or "process", "process") => true,
                    (false, "process", "activate") => true,
                    (false, "init" or "process", "abort") => true,
                    _ => false,
                };
                if (!legal)
                {
                    violations.Add($"illegal {entry.Callback} after {(newEpoch ? "a new epoch began" : state)}: {entry} (previous {previous})");
                }

                if (entry.Callback == "abort" && entry.Epoch >= finalEpoch)
                {
                    violations.Add($"abort of a round that was never superseded: {entry}");
                }

                state = entry.Callback;
                previous = entry;
            }
        }

        return violations;
    }

    /// <summary>
    /// Across replicas (contract items 2, 3 and 5, one barrier per step): in each epoch, no init of step k on any member
    /// before every member's process of step k-1 answered done (its last process call came before), and on each member no
    /// init of step k before that member activated step k-1; no activate of step k before every member's process of
    /// step k began. The members of an epoch are those that initialized its first step.
    /// </summary>
    public static List<string> CheckBarriers(IEnumerable<CallbackEntry> entries)
    {
        var violations = new List<string>();
        foreach (var round in entries.GroupBy(e => e.Epoch))
        {
            var members = round.Where(e => e.Step == 0 && e.Callback == "init").Select(e => e.Processor).ToHashSet();
            var firstOf = round
                .GroupBy(e => (e.Callback, e.Step, e.Processor))
                .ToDictionary(g => g.Key, g => g.Min(e => e.Sequence));
            var lastOf = round
                .GroupBy(e => (e.Callback, e.Step, e.Processor))
                .ToDictionary(g => g.Key, g => g.Max(e => e.Sequence));
            bool Before(string callback, int step, string processor, CallbackEntry entry) =>
                firstOf.ContainsKey((callback, step, processor)) && lastOf[(callback, step, processor)] < entry.Sequence;

            foreach (var entry in round)
            {
                if (entry.Callback == "init" && entry.Step > 0)
                {
                    violations.AddRange(members
                        .Where(member => !Before("process", entry.Step - 1, member, entry))
                        .Select(member => $"{entry} came before every process of step {entry.Step - 1} on member {member} answered"));
                    if (!Before("activate", entry.Step - 1, entry.Processor, entry))
                    {
                        violations.Add($"{entry} came before its own processor activated step {entry.Step - 1}");
                    }
                }
                else if (entry.Callback == "activate")
                {
                    violations.AddRange(members
                        .Where(member => !firstOf.ContainsKey(("process", entry.Step, member)) || firstOf[("process", entry.Step, member)] > entry.Sequence)
                        .Select(member => $"{entry} came before process of step {entry.Step} on member {member}"));
                }
            }
        }

        return violations;
    }

    /// <summary>No activate of an epoch after any callback of a later epoch (the storm's guarantee).</summary>
    public static List<string> CheckNoActivateAfterNewerEpoch(IEnumerable<CallbackEntry> entries)
    {
        var violations = new List<string>();
        var newest = 0L;
        CallbackEntry? newestEntry = null;
        foreach (var entry in entries.OrderBy(e => e.Sequence))
        {
            if (entry.Callback == "activate" && entry.Epoch < newest)
            {
                violations.Add($"{entry} after epoch {newest} began ({newestEntry})");
            }

            if (entry.Epoch > newest)
            {
                newest = entry.Epoch;
                newestEntry = entry;
            }
        }

        return violations;
    }

    /// <summary>
    /// Contract item 6: every replica initialized in the aborted epoch and not activated in it received its abort, whether
    /// it was processing or done and waiting, and whether or not it is a member of the next configuration; and on each such
    /// replica the abort came before anything of a later epoch (a replica's callbacks never overlap or reorder; other
    /// replicas do not wait for it).
    /// </summary>
    public static List<string> CheckAbortsReached(IEnumerable<CallbackEntry> entries, long aborted)
    {
        var all = entries.ToList();
        return [.. all.Where(e => e.Epoch == aborted).GroupBy(e => (e.Service, e.Processor))
            .Where(g => g.Any(e => e.Callback == "init") && !g.Any(e => e.Callback == "activate"))
            .Where(g =>
            {
                var abort = g.Where(e => e.Callback == "abort").Select(e => e.Sequence).DefaultIfEmpty(long.MaxValue).Min();
                var later = all.Where(e => e.Service == g.Key.Service && e.Processor == g.Key.Processor && e.Epoch > aborted)
                    .Select(e => e.Sequence).DefaultIfEmpty(long.MaxValue).Min();
                return abort == long.MaxValue || abort > later;
            })
            .Select(g => $"{g.Key.Service}@{g.Key.Processor} was initialized in epoch {aborted} but got no abort before its next callback")];
    }

    /// <summary>Every member of the final configuration activated every service in the final epoch.</summary>
    public static List<string> CheckFinalRound(IEnumerable<CallbackEntry> entries, Configuration final, IEnumerable<string> services)
    {
        var activated = entries.Where(e => e.Epoch == final.Epoch && e.Callback == "activate")
            .Select(e => (e.Service, e.Processor)).ToHashSet();
        return [.. from service in services
                   from member in final.Members
                   where !activated.Contains((service, member))
                   select $"{service}@{member} did not activate epoch {final.Epoch}"];
    }

    /// <summary>
    /// Every check that holds for any log ending in <paramref name="final"/>: <see cref="CheckReplicas"/>,
    /// <see cref="CheckBarriers"/> and <see cref="CheckFinalRound"/> for <paramref name="services"/>.
    /// </summary>
    public static List<string> Check(IEnumerable<CallbackEntry> entries, Configuration final, IEnumerable<string> services)
    {
        var all = entries.ToList();
        return [.. CheckReplicas(all, final.Epoch), .. CheckBarriers(all), .. CheckFinalRound(all, final, services)];
    }
}
