namespace Resync.Protocol;

/// <summary>
/// A large contribution addressed to some members travels straight to their inboxes, and only its stand-in
/// (<see cref="Forwarded"/>) through the round's sequencer; the recipient puts the payload back before it
/// activates. Identity (epoch, service, sender, sequence, recipients) stays on the stand-in, so the mailbox
/// checks, orders and deduplicates it as it does any contribution (contract items 4 and 7).
/// </summary>
internal static class Forwarding
{
    /// <summary>Whether <paramref name="contribution"/> goes straight to its recipients: addressed, and at least <paramref name="minBytes"/> large.</summary>
    public static bool Goes(Contribution contribution, int minBytes) =>
        !contribution.Recipients.IsDefaultOrEmpty && contribution.Payload is not Forwarded && contribution.Bytes >= minBytes;

    public static Contribution StandIn(Contribution contribution) => contribution with { Payload = Forwarded.Instance };

    public static bool HasStandIns(ImmutableArray<Contribution> delivered)
    {
        foreach (var contribution in delivered)
        {
            if (contribution.Payload is Forwarded)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// <paramref name="delivered"/> with every stand-in replaced by the contribution that was forwarded for it; one
    /// that never arrived fails the activation (<paramref name="what"/> names the delivery), which the round then retries.
    /// </summary>
    public static ImmutableArray<Contribution> Resolve(ImmutableArray<Contribution> delivered, ImmutableArray<Contribution> forwarded, string what)
    {
        var bySender = new Dictionary<(string Sender, int Sequence), Contribution>(forwarded.Length);
        foreach (var contribution in forwarded)
        {
            bySender[(contribution.Sender, contribution.Sequence)] = contribution;
        }

        var resolved = ImmutableArray.CreateBuilder<Contribution>(delivered.Length);
        foreach (var contribution in delivered)
        {
            if (contribution.Payload is not Forwarded)
            {
                resolved.Add(contribution);
            }
            else if (bySender.TryGetValue((contribution.Sender, contribution.Sequence), out var original) && SameIdentity(original, contribution))
            {
                resolved.Add(original);
            }
            else
            {
                throw new InvalidOperationException($"{what}: contribution {contribution.Sequence} of {contribution.Sender} was forwarded but never arrived.");
            }
        }

        return resolved.MoveToImmutable();
    }

    private static bool SameIdentity(Contribution a, Contribution b) =>
        a.Epoch == b.Epoch && string.Equals(a.Service, b.Service, StringComparison.Ordinal) && a.Recipients.SequenceEqual(b.Recipients);
}

/// <summary>
/// What one processor's inbox holds: forwarded contributions per round and service. A round's contributions stay
/// until they are released, a newer round's traffic arrives (epochs only grow: the older round is over here), or
/// the round is dropped; what comes for a round already over is refused.
/// </summary>
internal sealed class ForwardedInbox
{
    private readonly Dictionary<(long Epoch, string Service), Dictionary<(string Sender, int Sequence), Contribution>> _held = [];
    private long _newest;
    private long _droppedThrough;

    public int Count => _held.Values.Sum(h => h.Count);

    /// <summary>Keeps what belongs to a round that is not over here; returns how many it refused as stale.</summary>
    public int Put(ImmutableArray<Contribution> contributions)
    {
        var stale = 0;
        foreach (var contribution in contributions)
        {
            if (!Advance(contribution.Epoch))
            {
                stale++;
                continue;
            }

            var key = (contribution.Epoch, contribution.Service);
            if (!_held.TryGetValue(key, out var held))
            {
                _held[key] = held = [];
            }

            // A retried put holds the same contribution.
            held[(contribution.Sender, contribution.Sequence)] = contribution;
        }

        return stale;
    }

    public ImmutableArray<Contribution> Read(long epoch, string service) =>
        Advance(epoch) && _held.TryGetValue((epoch, service), out var held) ? [.. held.Values] : [];

    public void Release(long epoch, string service) => _held.Remove((epoch, service));

    public void Drop(long epoch)
    {
        _droppedThrough = Math.Max(_droppedThrough, epoch);
        RemoveWhere(e => e <= epoch);
    }

    /// <returns>Whether <paramref name="epoch"/>'s round may still use this inbox.</returns>
    private bool Advance(long epoch)
    {
        if (epoch <= _droppedThrough || epoch < _newest)
        {
            return false;
        }

        if (epoch > _newest)
        {
            _newest = epoch;
            RemoveWhere(e => e < epoch);
        }

        return true;
    }

    private void RemoveWhere(Func<long, bool> epoch)
    {
        foreach (var key in _held.Keys.Where(k => epoch(k.Epoch)).ToList())
        {
            _held.Remove(key);
        }
    }
}
