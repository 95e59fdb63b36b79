namespace Resync.Protocol;

/// <summary>
/// The contributions of one epoch and one service, among that epoch's members (contract items 4 and 7).
/// Contributions tagged with another epoch or service, or sent by a non-member, are dropped and counted.
/// Collection sorts by sender, then sequence, so the merge at activation never depends on the order in
/// which contributions arrived.
/// </summary>
internal sealed class ExchangeMailbox(long epoch, string service, ImmutableArray<string> members)
{
    private readonly HashSet<string> _members = new(members, StringComparer.Ordinal);
    private readonly List<Contribution> _contributions = [];
    private readonly HashSet<(string Sender, int Sequence)> _seen = [];
    private readonly Dictionary<string, Gathering> _gatherings = new(StringComparer.Ordinal);
    private ImmutableArray<Contribution>? _sorted;
    private int _addressed;

    public long Epoch => epoch;

    public string Service => service;

    public long Stale { get; private set; }

    public long Duplicate { get; private set; }

    public int Count => _contributions.Count;

    public void Post(Contribution contribution)
    {
        if (!IsCurrent(contribution))
        {
            Stale++;
            return;
        }

        // A retried post must not count twice.
        if (!_seen.Add((contribution.Sender, contribution.Sequence)))
        {
            Duplicate++;
            return;
        }

        _contributions.Add(contribution);
        _sorted = null;
        if (!contribution.Recipients.IsEmpty)
        {
            _addressed++;
        }
    }

    /// <remarks>
    /// Every member collects once per round: the sorted list is built once, and shared as it is when
    /// nothing was addressed to some members only (the common case), so a round costs O(N) and not O(N^2).
    /// </remarks>
    public ImmutableArray<Contribution> Collect(string recipient)
    {
        var sorted = _sorted ??= Sorted(_contributions);
        return _addressed == 0 ? sorted : [.. sorted.Where(c => c.IsFor(recipient))];
    }

    /// <summary>Fails the gatherings still waiting: the round is over.</summary>
    public void Abandon(string reason)
    {
        foreach (var gathering in _gatherings.Values)
        {
            gathering.Completed.TrySetException(new InvalidOperationException($"Epoch {epoch} ({service}): {reason}"));
        }
    }

    /// <summary>
    /// Adds a member's contribution to the gathering of <paramref name="phase"/>; the task completes with
    /// every member's contribution once all members have gathered. A contribution of another epoch or
    /// service, or from a non-member, is dropped as stale and never completes.
    /// </summary>
    public Task<ImmutableArray<Contribution>> Gather(string phase, Contribution contribution)
    {
        if (!IsCurrent(contribution))
        {
            Stale++;
            return Task.FromException<ImmutableArray<Contribution>>(
                new ArgumentException($"Contribution of {contribution.Sender} for epoch {contribution.Epoch} ({contribution.Service}) does not belong to the gathering of epoch {epoch} ({service})."));
        }

        if (!_gatherings.TryGetValue(phase, out var gathering))
        {
            _gatherings[phase] = gathering = new Gathering(_members.Count);
        }

        gathering.Contributions.TryAdd(contribution.Sender, contribution);
        if (gathering.Contributions.Count >= gathering.Expected)
        {
            gathering.Completed.TrySetResult(Sorted(gathering.Contributions.Values));
        }

        return gathering.Completed.Task;
    }

    private bool IsCurrent(Contribution contribution) =>
        contribution.Epoch == epoch && string.Equals(contribution.Service, service, StringComparison.Ordinal) &&
        _members.Contains(contribution.Sender);

    private static ImmutableArray<Contribution> Sorted(IEnumerable<Contribution> contributions) =>
        contributions.OrderBy(c => c.Sender, StringComparer.Ordinal).ThenBy(c => c.Sequence).ToImmutableArray();

    private sealed class Gathering(int expected)
    {
        public int Expected { get; } = expected;

        public Dictionary<string, Contribution> Contributions { get; } = new(StringComparer.Ordinal);

        public TaskCompletionSource<ImmutableArray<Contribution>> Completed { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
