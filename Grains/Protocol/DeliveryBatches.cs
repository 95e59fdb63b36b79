using System.Runtime.InteropServices;

namespace Resync.Protocol;

/// <summary>
/// What one step delivered to each member, cut into batches of at most <c>batchBytes</c> (a contribution
/// larger than that is a batch of its own): a notice carries a member's first batch, and the member fetches
/// the rest (<see cref="Fetch"/>) while the sequencer keeps these deliveries, until the next step's notices.
/// A delivery within one batch, the common case, goes whole with its notice and is never fetched.
/// </summary>
internal sealed class DeliveryBatches(int step, ImmutableArray<string> members, ImmutableArray<Contribution>[] delivered, int batchBytes)
{
    // Members mostly share one list: its first batch is measured once, not once per member.
    private (Contribution[]? List, Delivery Notice) _last;

    /// <summary>The step whose deliveries these are.</summary>
    public int Step => step;

    /// <summary>What the notice to the member at <paramref name="index"/> (in configuration order) carries.</summary>
    public Delivery Notice(int index)
    {
        var all = delivered[index];
        var list = ImmutableCollectionsMarshal.AsArray(all);
        if (!ReferenceEquals(list, _last.List))
        {
            var first = BatchLength(all, 0);
            _last = (list, first == all.Length ? new Delivery(all, all.Length) : new Delivery(all.Slice(0, first), all.Length));
        }

        return _last.Notice;
    }

    /// <summary>The batch of <paramref name="member"/>'s delivery that starts at <paramref name="from"/>.</summary>
    public ImmutableArray<Contribution> Fetch(int step, string member, int from)
    {
        var index = members.BinarySearch(member, StringComparer.Ordinal);
        if (step != Step || index < 0)
        {
            throw new ArgumentException($"No delivery of step {step} to {member} is kept: the deliveries kept are step {Step}'s, to the members of that round.");
        }

        var all = delivered[index];
        if (from < 0 || from >= all.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(from), $"The delivery of step {step} to {member} has {all.Length} contributions; none starts at {from}.");
        }

        return all.Slice(from, BatchLength(all, from));
    }

    private int BatchLength(ImmutableArray<Contribution> all, int from)
    {
        var (count, bytes) = (0, 0L);
        while (from + count < all.Length && (count == 0 || bytes + all[from + count].Bytes <= batchBytes))
        {
            bytes += all[from + count].Bytes;
            count++;
        }

        return count;
    }
}
