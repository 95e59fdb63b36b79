namespace Resync.Protocol;

/// <summary>
/// The configuration and its epoch counter (contract item 1). A proposal that changes the member set
/// makes the next epoch; one that changes nothing is ignored. Epochs only grow: the ledger starts from
/// the persisted configuration, so they keep growing across restarts.
/// </summary>
internal sealed class ConfigurationLedger(Configuration current)
{
    public Configuration Current { get; private set; } = current;

    /// <summary>The configuration that <paramref name="members"/> would make, or null if nothing changes.</summary>
    public Configuration? Propose(IEnumerable<string> members)
    {
        var next = Normalize(members);
        if (next.SequenceEqual(Current.Members, StringComparer.Ordinal))
        {
            return null;
        }

        var survivors = next.Where(Current.IsMember).ToImmutableArray();
        return new Configuration(Current.Epoch + 1, next, survivors);
    }

    /// <summary>Makes <paramref name="next"/> current, once it is safely persisted.</summary>
    public void Commit(Configuration next)
    {
        if (next.Epoch <= Current.Epoch)
        {
            throw new InvalidOperationException($"Epoch {next.Epoch} does not follow epoch {Current.Epoch}.");
        }

        Current = next;
    }

    /// <summary>
    /// The next epoch with the same members, every one a survivor: how a round that cannot finish (it failed,
    /// stalled, or was interrupted by a restart) is started over.
    /// </summary>
    public Configuration Renewed() => Current with { Epoch = Current.Epoch + 1, Survivors = Current.Members };

    public Configuration? Join(IEnumerable<string> processors) => Propose(Current.Members.Concat(processors));

    /// <summary>The configuration with exactly <paramref name="siloProcessors"/> as its silo processors, logical ones kept.</summary>
    public Configuration? WithSilos(IEnumerable<string> siloProcessors) =>
        Propose(Current.Members.Where(m => !ProcessorId.IsSilo(m)).Concat(siloProcessors));

    public Configuration? Remove(IEnumerable<string> processors)
    {
        var removed = processors.ToHashSet(StringComparer.Ordinal);
        return Propose(Current.Members.Where(member => !removed.Contains(member)));
    }

    private static ImmutableArray<string> Normalize(IEnumerable<string> members) =>
        members.Select(ProcessorId.Validate).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray();
}
