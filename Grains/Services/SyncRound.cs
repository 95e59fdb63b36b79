namespace Resync.Services;

/// <summary>
/// One replica's view of the round it synchronizes in: the configuration, its step, and the channel to
/// the other members. Sends are buffered and delivered when the callback that made them returns, before
/// the engine reports anything for this replica, so what a replica sends is delivered before its process
/// answers done (contract item 4).
/// </summary>
public sealed class SyncRound
{
    private readonly IExchangeGrain _exchange;
    private readonly List<Contribution> _outbox = [];
    private int _sequence;

    internal SyncRound(RoundStep step, string processor, IExchangeGrain exchange)
    {
        Step = step;
        Processor = processor;
        _exchange = exchange;
    }

    internal RoundStep Step { get; }

    public long Epoch => Step.Epoch;

    public ImmutableArray<string> Members => Step.Configuration.Members;

    /// <summary>Members of the previous configuration that are still members.</summary>
    public ImmutableArray<string> Survivors => Step.Configuration.Survivors;

    /// <summary>This service's position in the synchronization order.</summary>
    public int StepIndex => Step.Step;

    public string Service => Step.Service;

    /// <summary>The processor this replica belongs to.</summary>
    public string Processor { get; }

    /// <summary>Number of contributions dropped at receive because they carried another epoch (item 7).</summary>
    public int DroppedStale { get; private set; }

    /// <summary>Sends <paramref name="payload"/> to every member.</summary>
    public void Send(object payload) => Send(payload, []);

    /// <summary>Sends <paramref name="payload"/> to the given members only (one stored copy, whatever their number).</summary>
    public void Send(object payload, ImmutableArray<string> recipients)
    {
        ArgumentNullException.ThrowIfNull(payload);
        foreach (var recipient in recipients)
        {
            if (!Step.Configuration.IsMember(recipient))
            {
                throw new ArgumentException($"'{recipient}' is not a member of epoch {Epoch}.", nameof(recipients));
            }
        }

        _outbox.Add(new Contribution(Epoch, Service, Processor, _sequence++, recipients, payload));
    }

    /// <summary>
    /// All-to-all exchange inside process: sends <paramref name="payload"/> under <paramref name="phase"/> and
    /// waits until every member has done the same, then returns every member's payload, sorted by sender.
    /// The wait ends when the round is aborted.
    /// </summary>
    public async Task<ImmutableArray<Contribution>> GatherAsync(string phase, object payload, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var mine = new Contribution(Epoch, Service, Processor, _sequence++, [], payload);
        return await _exchange.Gather(phase, mine).WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Everything the members sent to this replica (or to all) in this round, sorted by sender and then by
    /// the order in which each sender sent it. Meant for activate, when every member's process is done.
    /// </summary>
    public async Task<ImmutableArray<Contribution>> ReceiveAsync()
    {
        var received = await _exchange.Collect(Epoch, Processor);
        var current = received.RemoveAll(c => c.Epoch != Epoch || c.Service != Service);
        DroppedStale += received.Length - current.Length;
        return current;
    }

    internal async Task FlushAsync()
    {
        if (_outbox.Count == 0)
        {
            return;
        }

        var batch = _outbox.ToImmutableArray();
        await _exchange.Post(batch);
        _outbox.Clear();
    }
}
