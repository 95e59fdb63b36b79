namespace Resync.Protocol;

/// <summary>
/// What the members gathered under each phase of the step in flight, cut into batches: every member
/// receives the same list, so it is cut once, its first batch answers every gatherer, and the others are
/// kept for the members that fetch them until a gathering of a later step replaces them.
/// </summary>
internal sealed class GatheringBatches(int batchBytes)
{
    private readonly Dictionary<string, BatchedList> _phases = new(StringComparer.Ordinal);
    private int _step = -1;

    /// <summary>The answer to a member that gathered under <paramref name="phase"/> in <paramref name="step"/>.</summary>
    public Delivery Notice(int step, string phase, ImmutableArray<Contribution> gathered)
    {
        if (step != _step)
        {
            _phases.Clear();
            _step = step;
        }

        if (!_phases.TryGetValue(phase, out var cut) || cut.All != gathered)
        {
            _phases[phase] = cut = BatchedList.Cut(gathered, batchBytes);
        }

        return cut.Notice;
    }

    /// <summary>Batch <paramref name="batch"/> of what was gathered under <paramref name="phase"/> in <paramref name="step"/>.</summary>
    public ImmutableArray<Contribution> Fetch(int step, string phase, int batch) =>
        step == _step && _phases.TryGetValue(phase, out var cut)
            ? cut.Batch(batch, $"The gathering '{phase}' of step {step}")
            : throw new ArgumentException($"No gathering '{phase}' of step {step} is kept: the gatherings kept are step {_step}'s.");
}
