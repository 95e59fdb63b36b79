using Resync.Diagnostics;
using Resync.Protocol;

namespace Resync.Replicas;

/// <summary>
/// A replica's channel in one round: what its process sends is kept until process answers done and travels with
/// that answer to the round's sequencer (a long transfer goes ahead in batches), so what a replica sends is delivered
/// before its process answers done (contract item 4). A large send addressed to some members goes straight to their
/// inboxes instead, and only its stand-in through the sequencer (<see cref="ForwardingRoute"/>). At activation the
/// round hands each replica what was sent to it. The service author sees it through <c>SyncRound</c>.
/// </summary>
internal sealed class RoundChannel(
    RoundStep step, string processor, Func<ISequencerGrain> sequencer, ForwardingRoute? forwarding = null, Func<object, int>? measure = null)
{
    private readonly Func<object, int> _measure = measure ?? (static _ => Contribution.UnmeasuredBytes);
    private readonly Func<ISequencerGrain> _sequencer = sequencer;
    private readonly ForwardingRoute? _forwarding = forwarding;
    private readonly List<Contribution> _outbox = [];
    private readonly Queue<Task> _posting = new();
    private HashSet<string>? _forwardedTo;
    private int _sequence;

    public RoundStep Step { get; } = step;

    public string Processor { get; } = processor;

    public long Epoch => Step.Epoch;

    public string Service => Step.Service;

    /// <summary>What the members sent to this replica (or to all) in this round, sorted by sender and sequence; set at activation.</summary>
    public ImmutableArray<Contribution> Received { get; private set; } = [];

    /// <summary>Queues <paramref name="payload"/> for <paramref name="recipients"/> (all members when empty); returns its measured size.</summary>
    public int Send(object payload, ImmutableArray<string> recipients)
    {
        ArgumentNullException.ThrowIfNull(payload);
        foreach (var recipient in recipients)
        {
            if (!Step.Configuration.IsMember(recipient))
            {
                throw new ArgumentException($"'{recipient}' is not a member of epoch {Epoch}.", nameof(recipients));
            }
        }

        var sent = new Contribution(Epoch, Service, Processor, _sequence++, recipients, payload) { Bytes = _measure(payload) };
        _outbox.Add(sent);
        return sent.Bytes;
    }

    /// <summary>Sends <paramref name="payload"/> under <paramref name="phase"/> and returns every member's, once all have sent theirs.</summary>
    public async Task<ImmutableArray<Contribution>> GatherAsync(string phase, object payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var mine = new Contribution(Epoch, Service, Processor, _sequence++, [], payload) { Bytes = _measure(payload) };
        using var gathering = ResyncActivities.Start("resync.replica.gather", Epoch, Step.Step, Processor);
        var gathered = await _sequencer().Gather(phase, mine).WaitAsync(cancellationToken);
        return gathered.IsWhole ? gathered.First : await FetchGatheredRestAsync(phase, gathered, cancellationToken);
    }

    private Task<ImmutableArray<Contribution>> FetchGatheredRestAsync(string phase, Delivery gathered, CancellationToken cancellationToken) =>
        DeliveryFetch.FetchRestAsync(
            gathered,
            batch => _sequencer().FetchGathered(Step.Step, phase, batch).WaitAsync(cancellationToken),
            $"Epoch {Epoch}: what the members of {Service} gathered under '{phase}' in step {Step.Step}");

    public int Unsent => _outbox.Count;

    /// <summary>
    /// Posts what process sent so far to the round, ahead of the done answer. Posts travel
    /// <see cref="PostsInFlight"/> at a time, so that a transfer between silos keeps its connection busy
    /// while the next batch is made; this returns once fewer are in flight.
    /// </summary>
    public async Task PostSentAsync()
    {
        Forward();
        _posting.Enqueue(_sequencer().Post(TakeSent()));
        while (_posting.Count >= PostsInFlight)
        {
            await _posting.Dequeue();
        }
    }

    /// <summary>
    /// Process is done: what it sent that goes to inboxes goes now, and every post and put has arrived, so what
    /// process sent is in the round's mailbox or its recipients' inboxes before the replica answers done.
    /// </summary>
    public Task FinishSendingAsync()
    {
        Forward();
        return PostedAsync();
    }

    /// <summary>Every post and put in flight has arrived (nothing more is sent: the round may be aborted).</summary>
    public async Task PostedAsync()
    {
        while (_posting.TryDequeue(out var post))
        {
            await post;
        }
    }

    /// <summary>Puts the large addressed sends in their recipients' inboxes (one put per recipient) and leaves their stand-ins in the outbox.</summary>
    private void Forward()
    {
        if (_forwarding is not { } route)
        {
            return;
        }

        Dictionary<string, ImmutableArray<Contribution>.Builder>? byRecipient = null;
        for (var i = 0; i < _outbox.Count; i++)
        {
            var contribution = _outbox[i];
            if (!Forwarding.Goes(contribution, route.MinBytes))
            {
                continue;
            }

            byRecipient ??= new(StringComparer.Ordinal);
            foreach (var recipient in contribution.Recipients)
            {
                if (!byRecipient.TryGetValue(recipient, out var batch))
                {
                    byRecipient[recipient] = batch = ImmutableArray.CreateBuilder<Contribution>();
                }

                batch.Add(contribution);
            }

            _outbox[i] = Forwarding.StandIn(contribution);
        }

        foreach (var (recipient, batch) in byRecipient ?? [])
        {
            _posting.Enqueue(route.Inbox(recipient).Put(batch.ToImmutable()));
            ResyncInstruments.ContributionsForwarded.Add(batch.Count, new KeyValuePair<string, object?>("service", Service));
            (_forwardedTo ??= new(StringComparer.Ordinal)).Add(recipient);
        }
    }

    /// <summary>The round is aborted: the inboxes that this replica forwarded to forget the round, and refuse what still comes for it.</summary>
    public Task RecallForwardedAsync() =>
        _forwarding is { } route && _forwardedTo is { } recipients
            ? Task.WhenAll(recipients.Select(recipient => route.Inbox(recipient).Drop(Epoch)))
            : Task.CompletedTask;

    private const int PostsInFlight = 3;

    /// <summary>What process sent since the last call; the engine sends it with the answer.</summary>
    public ImmutableArray<Contribution> TakeSent()
    {
        ImmutableArray<Contribution> sent = [.. _outbox];
        _outbox.Clear();
        return sent;
    }

    /// <summary>
    /// Keeps what the round delivered to this replica. It comes from this epoch's own mailbox, which dropped
    /// and counted whatever carried another epoch or service (item 7); the list is shared by every member,
    /// so it is not scanned again here, which would cost O(N) per replica and O(N^2) per step.
    /// </summary>
    public void Deliver(ImmutableArray<Contribution> received) => Received = received;
}

/// <summary>Where a round's large addressed sends go: addressed sends of at least <see cref="MinBytes"/> go to <see cref="Inbox"/> of each recipient.</summary>
internal sealed record ForwardingRoute(int MinBytes, Func<string, IInboxGrain> Inbox);
