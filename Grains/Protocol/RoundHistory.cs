namespace Resync.Protocol;

/// <summary>
/// The last finished rounds, bounded, and the waiters for a completed round of some epoch.
/// Single-threaded by design: the configuration grain's scheduler serializes every call.
/// </summary>
internal sealed class RoundHistory(int capacity)
{
    private readonly Queue<RoundSummary> _rounds = new();
    private readonly List<(long Epoch, TaskCompletionSource<RoundSummary> Signal)> _waiters = [];

    /// <remarks>
    /// Only the newest round keeps who lacked which service: during a rolling upgrade of a large cluster every round lacks
    /// on many members, and the history is saved every second after rounds end.
    /// </remarks>
    public ImmutableArray<RoundSummary> Rounds => [.. _rounds.Select((r, i) => i == _rounds.Count - 1 || r.Lacking.IsEmpty ? r : r with { Lacking = [] })];

    public RoundSummary? LastCompleted { get; private set; }

    public int Waiters => _waiters.Count;

    /// <summary>The newest epoch whose round ended, completed or aborted.</summary>
    public long LastEndedEpoch { get; private set; }

    /// <summary>Rounds that a previous activation kept (oldest first), before any new one ends.</summary>
    public void Restore(IEnumerable<RoundSummary> rounds)
    {
        foreach (var round in rounds)
        {
            Add(round);
        }
    }

    public void Add(RoundSummary summary)
    {
        LastEndedEpoch = Math.Max(LastEndedEpoch, summary.Epoch);
        _rounds.Enqueue(summary);
        while (_rounds.Count > capacity)
        {
            _rounds.Dequeue();
        }

        if (summary.Outcome != RoundPhase.Completed || summary.Epoch <= (LastCompleted?.Epoch ?? 0))
        {
            return;
        }

        LastCompleted = summary;
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Epoch <= summary.Epoch)
            {
                _waiters[i].Signal.TrySetResult(summary);
                _waiters.RemoveAt(i);
            }
        }
    }

    /// <summary>Completes with the first completed round of <paramref name="epoch"/> or later.</summary>
    public Task<RoundSummary> WaitForCompleted(long epoch)
    {
        if (LastCompleted is { } last && last.Epoch >= epoch)
        {
            return Task.FromResult(last);
        }

        var signal = new TaskCompletionSource<RoundSummary>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters.Add((epoch, signal));
        return signal.Task;
    }

    public void Forget(Task<RoundSummary> waiter) => _waiters.RemoveAll(w => w.Signal.Task == waiter);
}
