namespace Resync.Protocol;

/// <summary>The receiving end of a <see cref="Delivery"/>: its first batch, and the others fetched a few at a time.</summary>
internal static class DeliveryFetch
{
    // Enough to keep the connection busy while the sequencer serializes the next batch; bounded, so that a
    // large transfer never has more than a few batches in flight.
    public const int InFlight = 3;

    /// <summary>
    /// The whole list that <paramref name="delivery"/> announces, in order, when it is not whole (a whole delivery's
    /// list is its first batch, which callers take without the fetch's closure and name); <paramref name="fetch"/> gets
    /// batch i (i >= 1). A fetched list that is not the one announced (<paramref name="what"/> names it) is refused.
    /// </summary>
    public static async Task<ImmutableArray<Contribution>> FetchRestAsync(Delivery delivery, Func<int, Task<ImmutableArray<Contribution>>> fetch, string what)
    {
        var batches = new ImmutableArray<Contribution>[delivery.Batches];
        batches[0] = delivery.First;
        var next = 0;
        async Task FetchBatchesAsync()
        {
            for (var batch = Interlocked.Increment(ref next); batch < batches.Length; batch = Interlocked.Increment(ref next))
            {
                batches[batch] = await fetch(batch);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Math.Min(InFlight, batches.Length - 1)).Select(_ => FetchBatchesAsync()));
        if (batches.Any(b => b.IsDefaultOrEmpty) || batches.Sum(b => b.Length) != delivery.Length)
        {
            throw new InvalidOperationException($"{what} is not the one announced ({delivery.Length} contributions in {delivery.Batches} batches).");
        }

        var all = ImmutableArray.CreateBuilder<Contribution>(delivery.Length);
        foreach (var batch in batches)
        {
            all.AddRange(batch);
        }

        return all.MoveToImmutable();
    }
}
