namespace Resync.Protocol;

/// <summary>
/// One service's exchange: the <see cref="ExchangeMailbox"/> of the newest epoch opened for it. The
/// sequencer opens the exchange of step k for its epoch and members at barrier k, before any member
/// may process k; traffic of another epoch is stale, and the mailbox drops what else does not belong. Opening a newer epoch drops
/// the older mailbox and fails the gatherings still waiting in it. That is safe: barrier k of the newer
/// epoch completes only after every member's replica of the service was gated in the newer epoch, and
/// a replica gated in a newer epoch refuses to activate (and so to collect) an older one. It keeps a
/// service's bookkeeping at one mailbox, whatever the number of rounds, and costs no grain activation
/// per round.
/// </summary>
internal sealed class ServiceExchange(string service)
{
    private ExchangeMailbox? _current;
    private long _stale;
    private long _duplicate;

    public string Service => service;

    public long Epoch => _current?.Epoch ?? 0;

    public long Stale => _stale + (_current?.Stale ?? 0);

    public long Duplicate => _duplicate + (_current?.Duplicate ?? 0);

    /// <summary>Starts the mailbox of <paramref name="epoch"/>; false (and nothing changes) unless it is newer than the current one.</summary>
    public bool Open(long epoch, ImmutableArray<string> members)
    {
        if (epoch <= Epoch)
        {
            return false;
        }

        if (_current is not null)
        {
            _current.Abandon(epoch);
            (_stale, _duplicate) = (_stale + _current.Stale, _duplicate + _current.Duplicate);
        }

        _current = new ExchangeMailbox(epoch, service, members);
        return true;
    }

    public void Post(Contribution contribution)
    {
        if (MailboxFor(contribution) is { } mailbox)
        {
            mailbox.Post(contribution);
        }
    }

    /// <summary>What <paramref name="recipient"/> receives in <paramref name="epoch"/>; nothing for an epoch that is not the current one.</summary>
    public ImmutableArray<Contribution> Collect(long epoch, string recipient) =>
        _current is { } mailbox && mailbox.Epoch == epoch ? mailbox.Collect(recipient) : [];

    public Task<ImmutableArray<Contribution>> Gather(string phase, Contribution contribution) =>
        MailboxFor(contribution) is { } mailbox
            ? mailbox.Gather(phase, contribution)
            : Task.FromException<ImmutableArray<Contribution>>(new ArgumentException(
                $"Contribution of {contribution.Sender} for epoch {contribution.Epoch} ({contribution.Service}) is stale: {service} is open for epoch {Epoch}."));

    private ExchangeMailbox? MailboxFor(Contribution contribution)
    {
        if (_current is null || contribution.Epoch != _current.Epoch)
        {
            _stale++;
            return null;
        }

        return _current;
    }
}
