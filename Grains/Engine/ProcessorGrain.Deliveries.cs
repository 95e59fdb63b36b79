using Resync.Protocol;

namespace Resync.Engine;

/// <summary>What a step delivered to this processor: the rest of a long delivery from the sequencer, and what was forwarded to its inbox.</summary>
internal sealed partial class ProcessorGrain
{
    /// <summary>
    /// The whole of what <paramref name="step"/> delivered here: the other batches of a long delivery come
    /// from the sequencer, a few at a time, and what was forwarded here from this processor's inbox.
    /// </summary>
    private async ValueTask<ImmutableArray<Contribution>> ReceiveAsync(long epoch, int step, Delivery delivery)
    {
        // The common case, a whole delivery with nothing forwarded, allocates nothing here: every member takes one per step.
        var delivered = delivery.IsWhole ? delivery.First : await FetchRestAsync(epoch, step, delivery);
        if (!Forwarding.HasStandIns(delivered))
        {
            return delivered;
        }

        _inboxRead = Math.Max(_inboxRead, epoch);
        return Forwarding.Resolve(delivered, await Inbox.Read(epoch, _rounds.Service(epoch, step)), DeliveryName(epoch, step));
    }

    private Task<ImmutableArray<Contribution>> FetchRestAsync(long epoch, int step, Delivery delivery) =>
        DeliveryFetch.FetchRestAsync(delivery, batch => Sequencer(epoch).Fetch(step, Id, batch), DeliveryName(epoch, step));

    private string DeliveryName(long epoch, int step) => $"Epoch {epoch}: the delivery of step {step} to {Id}";

    /// <summary>
    /// What the inbox still holds of the rounds this processor read from (the last two services' forwards, kept for
    /// a repeated notice) is forgotten when a newer round reaches it, or when it crashes.
    /// </summary>
    private void DropInbox()
    {
        if (_inboxRead != 0)
        {
            _ = Inbox.Drop(_inboxRead);
            _inboxRead = 0;
        }
    }
}
