namespace Resync.Protocol;

/// <summary>
/// One list of contributions cut into batches of at most <c>batchBytes</c> (estimated, see
/// <see cref="Contribution.Bytes"/>; a contribution larger than that is a batch of its own; an empty list is one
/// empty batch), and the <see cref="Delivery"/> that carries its first batch. A list within one batch, the
/// common case, is delivered whole and never fetched.
/// </summary>
internal sealed class BatchedList
{
    private readonly int[] _starts;

    private BatchedList(ImmutableArray<Contribution> all, int[] starts)
    {
        All = all;
        _starts = starts;
        Notice = starts.Length == 1 ? Delivery.Whole(all) : new Delivery(Batch(0), all.Length, starts.Length);
    }

    public ImmutableArray<Contribution> All { get; }

    public Delivery Notice { get; }

    private static readonly int[] OneBatch = [0];

    public static BatchedList Cut(ImmutableArray<Contribution> all, int batchBytes)
    {
        List<int>? starts = null;
        var bytes = 0L;
        for (var i = 0; i < all.Length; i++)
        {
            var size = all[i].Bytes;
            if (bytes > 0 && bytes + size > batchBytes)
            {
                (starts ??= [0]).Add(i);
                bytes = 0;
            }

            bytes += size;
        }

        return new BatchedList(all, starts is null ? OneBatch : [.. starts]);
    }

    /// <summary>Batch <paramref name="batch"/>; <paramref name="what"/> names the list in the error when there is no such batch.</summary>
    public ImmutableArray<Contribution> Batch(int batch, string what = "the list")
    {
        if (batch < 0 || batch >= _starts.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), $"{what} has {_starts.Length} batches; there is no batch {batch}.");
        }

        var end = batch + 1 < _starts.Length ? _starts[batch + 1] : All.Length;
        return _starts.Length == 1 ? All : All.Slice(_starts[batch], end - _starts[batch]);
    }
}
