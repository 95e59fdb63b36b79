namespace Resync.Reference;

/// <summary>One processor's record in the cluster membership view.</summary>
/// <param name="Processor">The processor's id.</param>
/// <param name="Name">The processor's name; the reference CLM uses its id.</param>
/// <param name="Address">The address of the silo that hosts the processor's replica.</param>
/// <param name="JoinedEpoch">The epoch in which the processor joined; it keeps it as long as it is among the survivors.</param>
[GenerateSerializer, Immutable, Alias("resync.clm.member")]
public sealed record ClmMember(
    [property: Id(0)] string Processor,
    [property: Id(1)] string Name,
    [property: Id(2)] string Address,
    [property: Id(3)] long JoinedEpoch);

/// <summary>The membership view a CLM replica serves: the one activated in the round of <see cref="Epoch"/>.</summary>
/// <param name="Epoch">The epoch whose round activated the view; 0 before any.</param>
/// <param name="Members">The members' records, sorted by processor (ordinal).</param>
[GenerateSerializer, Immutable, Alias("resync.clm.view")]
public sealed record ClmView([property: Id(0)] long Epoch, [property: Id(1)] ImmutableArray<ClmMember> Members)
{
    /// <summary>The view before any round activated one: epoch 0, no members.</summary>
    public static ClmView Empty { get; } = new(0, []);

    /// <summary>The record of <paramref name="processor"/>, if it is in the view (members are sorted by processor).</summary>
    public ClmMember? Find(string processor)
    {
        var (low, high) = (0, Members.Length - 1);
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var order = string.CompareOrdinal(Members[middle].Processor, processor);
            if (order == 0)
            {
                return Members[middle];
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return null;
    }

    /// <summary>Value equality: the same epoch and the same records.</summary>
    public bool Equals(ClmView? other) =>
        other is not null && Epoch == other.Epoch && Members.AsSpan().SequenceEqual(other.Members.AsSpan());

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Epoch, Members.Length);
}

/// <summary>CLM, the cluster membership service: one replica per processor (key: the processor id).</summary>
[Alias("resync.IClmService")]
public interface IClmService : IGrainWithStringKey
{
    /// <summary>The view as this processor sees it: the last one it activated.</summary>
    [Alias("GetView")] Task<ClmView> GetView();
}
