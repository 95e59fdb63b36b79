namespace Resync.Protocol;

/// <summary>Which processors a membership request may name: clients name logical processors; silos name their own silo processors.</summary>
internal static class MembershipRequests
{
    /// <summary>The logical processors a client asks to join, leave or fail: valid ids, none a silo's or a rehearsal's.</summary>
    public static ImmutableArray<string> Logical(ImmutableArray<string> processors)
    {
        if (processors.IsDefaultOrEmpty)
        {
            throw new ArgumentException("Name at least one processor.", nameof(processors));
        }

        foreach (var processor in processors)
        {
            if (ProcessorId.IsSilo(ProcessorId.Validate(processor)))
            {
                throw new ArgumentException($"'{processor}' is a silo processor: it joins and leaves with its silo.", nameof(processors));
            }

            if (ProcessorId.IsRehearsal(processor))
            {
                throw new ArgumentException($"'{processor}' is a silo's rehearsal processor, which is never a member.", nameof(processors));
            }
        }

        return processors;
    }

    /// <summary>A silo's own processor, as a silo names it.</summary>
    public static string Silo(string processor, string parameter) =>
        ProcessorId.IsSilo(ProcessorId.Validate(processor)) ? processor : throw new ArgumentException($"'{processor}' is not a silo processor.", parameter);

    /// <summary>The silo processors of a membership proposal; the departed are named by their silo processors too.</summary>
    public static void Proposal(ImmutableArray<string> siloProcessors, ImmutableArray<string> departedSilos)
    {
        foreach (var processor in siloProcessors)
        {
            Silo(processor, nameof(siloProcessors));
        }

        if (departedSilos.IsDefault || !departedSilos.All(p => ProcessorId.IsSilo(ProcessorId.Validate(p))))
        {
            throw new ArgumentException("Departed silos are named by their silo processors.", nameof(departedSilos));
        }
    }

    /// <summary>The processors a sequencer evicts: at least one, each a valid id.</summary>
    public static ImmutableArray<string> Evicted(ImmutableArray<string> processors) =>
        processors.IsDefaultOrEmpty || processors.Any(p => !ProcessorId.IsValid(p))
            ? throw new ArgumentException("Name at least one valid processor to evict.", nameof(processors))
            : processors;
}
