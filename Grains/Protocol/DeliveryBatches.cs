using System.Runtime.InteropServices;

namespace Resync.Protocol;

/// <summary>
/// What one step delivered to each member, cut into batches of at most <c>batchBytes</c> (a contribution
/// larger than that is a batch of its own): a notice carries a member's first batch, and the member fetches
/// the others (<see cref="Fetch"/>) while the sequencer keeps these deliveries, until the next step's notices.
/// A delivery within one batch, the common case, goes whole with its notice and is never fetched.
/// </summary>
internal sealed class DeliveryBatches(int step, ImmutableArray<string> members, ImmutableArray<Contribution>[] delivered, int batchBytes)
{
    // Members mostly share one list: it is cut once, and its notice made once, not once per member.
    private (Contribution[]? List, Cut? Cut) _last;

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

        var all = delivered[index];
        var starts = CutOf(all).Starts;
        if (batch < 0 || batch >= starts.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), $"The delivery of step {step} to {member} has {starts.Length} batches; there is no batch {batch}.");
        }

        return Batch(all, starts, batch);
    }

    private static ImmutableArray<Contribution> Batch(ImmutableArray<Contribution> all, int[] starts, int batch)
    {
        var end = batch + 1 < starts.Length ? starts[batch + 1] : all.Length;
        return starts.Length == 1 ? all : all.Slice(starts[batch], end - starts[batch]);
    }

    /// <summary>Where each batch of <paramref name="all"/> starts (an empty delivery is one empty batch), and the notice that carries it.</summary>
    private Cut CutOf(ImmutableArray<Contribution> all)
    {
        var list = ImmutableCollectionsMarshal.AsArray(all);
        if (ReferenceEquals(list, _last.List))
        {
            return _last.Cut!;
        }

        var starts = new List<int> { 0 };
        var bytes = 0L;
        for (var i = 0; i < all.Length; i++)
        {
            var size = all[i].Bytes;
            if (bytes > 0 && bytes + size > batchBytes)
            {
                starts.Add(i);
                bytes = 0;
            }

            bytes += size;
        }

        int[] cut = [.. starts];
        var notice = cut.Length == 1 ? Delivery.Whole(all) : new Delivery(Batch(all, cut, 0), all.Length, cut.Length);
        _last = (list, new Cut(cut, notice));
        return _last.Cut;
    }

    private sealed record Cut(int[] Starts, Delivery Notice);
}
