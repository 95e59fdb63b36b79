using System.Runtime.InteropServices;

namespace Resync.Reference.Clm;

/// <summary>
/// The views of one silo's CLM replicas. A round delivers one list, shared by every member it reaches on a
/// silo, and every replica builds the same view from it: the first one builds it and the others take it, so
/// a silo of N logical processors keeps one view of N records per round, not N of them. The list and the
/// view are immutable; a replica that misses the last view (a race, another round) builds its own.
/// </summary>
public sealed class ClmViews
{
    private Built? _last;

    /// <summary>The view of <paramref name="epoch"/> built from <paramref name="records"/>, the one already built when they are the same delivery.</summary>
    public ClmView Get(long epoch, ImmutableArray<Contribution> records)
    {
        var delivery = ImmutableCollectionsMarshal.AsArray(records)!;
        if (Volatile.Read(ref _last) is { } last && last.Epoch == epoch && ReferenceEquals(last.Delivery, delivery))
        {
            return last.View;
        }

        var view = new ClmView(epoch, ImmutableArray.CreateRange(records, static c => (ClmMember)c.Payload));
        Volatile.Write(ref _last, new Built(epoch, delivery, view));
        return view;
    }

    private sealed record Built(long Epoch, Contribution[] Delivery, ClmView View);
}
