namespace Resync.Reference;

/// <summary>One processor's record in the cluster membership view.</summary>
[GenerateSerializer, Immutable, Alias("resync.clm.member")]
public sealed record ClmMember(
    [property: Id(0)] string Processor,
    [property: Id(1)] string Name,
    [property: Id(2)] string Address,
    [property: Id(3)] long JoinedEpoch);

/// <summary>The membership view a CLM replica serves: the one activated in the round of <see cref="Epoch"/>.</summary>
[GenerateSerializer, Immutable, Alias("resync.clm.view")]
public sealed record ClmView([property: Id(0)] long Epoch, [property: Id(1)] ImmutableArray<ClmMember> Members)
{
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

    public bool Equals(ClmView? other) =>
        other is not null && Epoch == other.Epoch && Members.AsSpan().SequenceEqual(other.Members.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Epoch, Members.Length);
}

/// <summary>CLM, the cluster membership service: one replica per processor (key: the processor id).</summary>
[Alias("resync.IClmService")]
public interface IClmService : IGrainWithStringKey
{
    /// <summary>The view as this processor sees it: the last one it activated.</summary>
    [Alias("GetView")] Task<ClmView> GetView();
}
