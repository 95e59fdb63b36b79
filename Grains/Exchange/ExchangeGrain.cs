using Resync.Diagnostics;
using Resync.Protocol;

namespace Resync.Engine;

/// <summary>
/// One per epoch and service: the mailbox through which replicas exchange their contributions.
/// Collected after a few idle minutes, well after its round has activated.
/// </summary>
[CollectionAgeLimit(Minutes = 10)]
internal sealed class ExchangeGrain : Grain, IExchangeGrain
{
    private ExchangeMailbox? _mailbox;

    private ExchangeMailbox Mailbox
    {
        get
        {
            if (_mailbox is null)
            {
                var epoch = this.GetPrimaryKeyLong(out var service);
                _mailbox = new ExchangeMailbox(epoch, service ?? "");
            }

            return _mailbox;
        }
    }

    public async Task Post(ImmutableArray<Contribution> contributions)
    {
        var (stale, duplicate) = (Mailbox.Stale, Mailbox.Duplicate);
        foreach (var contribution in contributions)
        {
            Mailbox.Post(contribution);
        }

        await ResyncInstruments.ReportDroppedAsync(GrainFactory, new DropCounts(Mailbox.Stale - stale, 0, Mailbox.Duplicate - duplicate));
    }

    public Task<ImmutableArray<Contribution>> Collect(string recipient) => Task.FromResult(Mailbox.Collect(recipient));

    public Task<ImmutableArray<Contribution>> Gather(string phase, Contribution contribution, ImmutableArray<string> members) =>
        Mailbox.Gather(phase, contribution, members);
}
