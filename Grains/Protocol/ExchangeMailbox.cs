namespace Resync.Protocol;

/// <summary>
/// The contributions of one epoch and one service (contract items 4 and 7). Contributions tagged
/// with another epoch or service are dropped and counted. Collection sorts by sender, then sequence,
/// so the merge at activation never depends on the order in which contributions arrived.
/// </summary>
internal sealed class ExchangeMailbox(long epoch, string service)
{
    private readonly List<Contribution> _contributions = [];
    private readonly HashSet<(string Sender, int Sequence)> _seen = [];

    public long Stale { get; private set; }

    public long Duplicate { get; private set; }

    public int Count => _contributions.Count;

    public void Post(Contribution contribution)
    {
        if (contribution.Epoch != epoch || !string.Equals(contribution.Service, service, StringComparison.Ordinal))
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
    }

    public ImmutableArray<Contribution> Collect(string recipient) =>
        _contributions
            .Where(c => c.Recipient is null || string.Equals(c.Recipient, recipient, StringComparison.Ordinal))
            .OrderBy(c => c.Sender, StringComparer.Ordinal)
            .ThenBy(c => c.Sequence)
            .ToImmutableArray();
}
