using System.Runtime.InteropServices;

namespace Resync.Protocol;

/// <summary>
/// What one step delivered to each member, cut into <see cref="BatchedList"/>s: a notice carries a member's
/// first batch, and the member fetches the others (<see cref="Fetch"/>) while the sequencer keeps these
/// deliveries, until the next step's notices.
/// </summary>
internal sealed class DeliveryBatches(int step, ImmutableArray<string> members, ImmutableArray<Contribution>[] delivered, int batchBytes)
{
    // Members mostly share one list: it is cut once, and its notice made once, not once per member.
    private (Contribution[]? List, BatchedList? Cut) _last;

    /// <summary>The step whose deliveries these are.</summary>
    public int Step => step;

    /// <summary>What the notice to the member at <paramref name="index"/> (in configuration order) carries.</summary>
    public Delivery Notice(int index) => CutOf(delivered[index]).Notice;

    /// <summary>Batch <paramref name="batch"/> of <paramref name="member"/>'s delivery.</summary>
    public ImmutableArray<Contribution> Fetch(int step, string member, int batch)
    {
        var index = members.BinarySearch(member, StringComparer.Ordinal);
        if (step != Step || index < 0)
        {
            throw new ArgumentException($"No delivery of step {step} to {member} is kept: the deliveries kept are step {Step}'s, to the members of that round.");
        }

        return CutOf(delivered[index]).Batch(batch, $"The delivery of step {step} to {member}");
    }

    private BatchedList CutOf(ImmutableArray<Contribution> all)
    {
        // An empty delivery (a member that lacks the service) is cut without replacing the shared list's cut.
        if (all.IsEmpty)
        {
            return BatchedList.Cut(all, batchBytes);
        }

        var list = ImmutableCollectionsMarshal.AsArray(all);
        if (!ReferenceEquals(list, _last.List))
        {
            _last = (list, BatchedList.Cut(all, batchBytes));
        }

        return _last.Cut!;
    }
}
