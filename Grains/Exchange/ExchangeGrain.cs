using Resync.Diagnostics;
using Resync.Protocol;

namespace Resync.Engine;

/// <summary>One per service: holds the <see cref="ServiceExchange"/> through which replicas exchange their contributions.</summary>
internal sealed class ExchangeGrain : Grain, IExchangeGrain
{
    private ServiceExchange? _exchange;

    private ServiceExchange Exchange => _exchange ??= new ServiceExchange(this.GetPrimaryKeyString());

    public Task Open(long epoch, ImmutableArray<string> members)
    {
        if (epoch <= 0 || members.IsDefault || members.Any(m => !ProcessorId.IsValid(m)))
        {
            throw new ArgumentException($"Exchange of {Exchange.Service}: epoch {epoch} with members [{string.Join(", ", members.IsDefault ? [] : members)}] is not a round to open.");
        }

        Exchange.Open(epoch, members);
        return Task.CompletedTask;
    }

    public async Task Post(ImmutableArray<Contribution> contributions)
    {
        var (stale, duplicate) = (Exchange.Stale, Exchange.Duplicate);
        foreach (var contribution in contributions)
        {
            Exchange.Post(contribution);
        }

        await ResyncInstruments.ReportDroppedAsync(GrainFactory, new DropCounts(Exchange.Stale - stale, 0, Exchange.Duplicate - duplicate));
    }

    public Task<ImmutableArray<Contribution>> Collect(long epoch, string recipient) => Task.FromResult(Exchange.Collect(epoch, recipient));

    public async Task<ImmutableArray<Contribution>> Gather(string phase, Contribution contribution)
    {
        var stale = Exchange.Stale;
        var gathered = Exchange.Gather(phase, contribution);
        await ResyncInstruments.ReportDroppedAsync(GrainFactory, new DropCounts(Exchange.Stale - stale, 0, 0));
        return await gathered;
    }
}
