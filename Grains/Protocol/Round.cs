namespace Resync.Protocol;

/*
 * The round: how one epoch's configuration re-synchronizes every service.
 *
 * A round belongs to one epoch and is never reused (contract item 1). It goes through the registered
 * services in order, one step per service (item 2). Step k has two halves:
 *
 *   Barrier(k)     Each member activates service k-1 on its replica (the state built in step k-1),
 *                  stops writes to service k, drains writes in flight, and sends its barrier request
 *                  for (epoch, k). Activation of k-1 is therefore folded into the way to barrier k:
 *                  service k-1 is activated on a member before that member can arrive at barrier k,
 *                  and barrier k cannot complete before every member has arrived (items 2, 3 and 5).
 *   Processing(k)  Only once barrier k is complete: every member runs init, then process until done,
 *                  on its replica of service k. Whatever a replica sends travels with its done and is
 *                  posted to the step's mailbox before the member counts as done (item 4); a large
 *                  send to some members goes to their inboxes instead, before the done, and only its
 *                  stand-in to the mailbox (Forwarding). An
 *                  all-to-all gathering inside process meets in the same mailbox. When every member
 *                  is done, step k+1 begins, and each member's notice for it carries what step k
 *                  delivered to that member, for the activation of k on the way to barrier k+1.
 *
 * After the last step every member activates the last service (Activating), and the round is
 * Completed. Activation of service k happens only after every member's process for k answered done,
 * and at most once per member, because a member receives exactly one notice that activates k.
 *
 * A newer configuration aborts the round from any phase (item 6): Abort is accepted in every
 * non-terminal phase and afterwards every input is stale. The sequencer then tells every member,
 * whose replicas discard what the round staged whether they were processing, done and waiting for
 * the others, or still at the barrier. Nothing of an aborted round is activated: the sequencer checks
 * the phase after every await, and replicas refuse callbacks of epochs they saw aborted (item 7).
 *
 * This class holds no Orleans types, sends nothing and never blocks: the sequencer grain drives it
 * and performs the calls. Inputs that arrive out of turn (a barrier completion for another step, a
 * done from a processor that is not pending) return false and change nothing. A transition that the
 * sequencer could only request through a bug throws.
 */
internal sealed class Round
{
    private readonly TimeProvider _time;
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private readonly List<StepTiming> _steps = [];
    private readonly long _startedAt;
    private long _phaseStartedAt;
    private long _lastActivity;
    private long _processCalls;
    private int _barrierMissing = int.MaxValue;
    private ExchangeMailbox? _exchange;
    private DropCounts _droppedBefore = DropCounts.None;

    public Round(Configuration configuration, ImmutableArray<string> services, TimeProvider time)
    {
        Configuration = configuration;
        Services = services;
        _time = time;
        _startedAt = _phaseStartedAt = _lastActivity = time.GetTimestamp();
        StartedAt = time.GetUtcNow();
    }

    public Configuration Configuration { get; }

    public ImmutableArray<string> Services { get; }

    public long Epoch => Configuration.Epoch;

    public RoundPhase Phase { get; private set; } = RoundPhase.Starting;

    /// <summary>The current step; -1 before the first barrier.</summary>
    public int Step { get; private set; } = -1;

    public string? Service => Step >= 0 && Step < Services.Length ? Services[Step] : null;

    public DateTimeOffset StartedAt { get; }

    public string? AbortReason { get; private set; }

    /// <summary>True when the round was aborted because it failed, not because a newer configuration superseded it.</summary>
    public bool Failed => Failure != RoundFailure.None;

    public RoundFailure Failure { get; private set; }

    public bool IsOver => Phase is RoundPhase.Completed or RoundPhase.Aborted;

    public IReadOnlyList<StepTiming> Steps => _steps;

    /// <summary>How long the members took to arrive at the barrier of the current or last step.</summary>
    public TimeSpan LastBarrierWait { get; private set; }

    /// <summary>Members the current phase waits for (processing and activating; the barrier knows its own).</summary>
    public IReadOnlyCollection<string> Pending => _pending;

    /// <summary>Moves to the barrier of the next step; returns false if the round is over.</summary>
    public bool EnterBarrier(int step)
    {
        if (IsOver)
        {
            return false;
        }

        var expected = Step + 1;
        if (step != expected || step >= Services.Length || !(Phase == RoundPhase.Starting || (Phase == RoundPhase.Processing && _pending.Count == 0)))
        {
            throw new InvalidOperationException($"Epoch {Epoch}: cannot enter barrier {step} from {Phase} of step {Step}.");
        }

        Step = step;
        Enter(RoundPhase.Barrier);
        return true;
    }

    /// <summary>Barrier <paramref name="step"/> is complete: every member may init and process its service.</summary>
    public bool CompleteBarrier(int step)
    {
        if (Phase != RoundPhase.Barrier || step != Step)
        {
            return false;
        }

        LastBarrierWait = Elapsed(_phaseStartedAt);
        Enter(RoundPhase.Processing);
        ReplaceExchange(new ExchangeMailbox(Epoch, Services[step], Configuration.Members));
        _pending.UnionWith(Configuration.Members);
        if (_pending.Count == 0)
        {
            FinishStep();
        }

        return true;
    }

    /// <summary>
    /// A member's process answered done after <paramref name="processCalls"/> calls, having sent
    /// <paramref name="sent"/>; true when it was the last one of the step. The sends are in the step's
    /// mailbox before the member counts as done.
    /// </summary>
    public bool ProcessorDone(string processor, int step, int processCalls, ImmutableArray<Contribution> sent)
    {
        if (Phase != RoundPhase.Processing || step != Step || !_pending.Contains(processor))
        {
            return false;
        }

        Post(sent);
        _pending.Remove(processor);
        _processCalls += processCalls;
        Touch();
        if (_pending.Count > 0)
        {
            return false;
        }

        FinishStep();
        return true;
    }

    /// <summary>
    /// Contributions that a member's process sent ahead of its done (a long transfer, in batches). Outside
    /// processing they are stale: dropped and counted.
    /// </summary>
    public void Post(ImmutableArray<Contribution> sent)
    {
        foreach (var contribution in sent)
        {
            if (OpenExchange is { } exchange)
            {
                exchange.Post(contribution);
            }
            else
            {
                _droppedBefore = _droppedBefore.Add(BarrierVerdict.Stale);
            }
        }
    }

    /// <summary>
    /// What the last step with processing delivered to <paramref name="member"/>: everything sent to it or to
    /// all, sorted by sender and sequence. It goes with the notice that activates that step's service.
    /// </summary>
    public ImmutableArray<Contribution> Received(string member) => _exchange?.Collect(member) ?? [];

    /// <summary>
    /// An all-to-all gathering inside the current step's process (see <see cref="ExchangeMailbox.Gather"/>).
    /// Outside processing, or for another epoch, service or step, the contribution is stale: dropped, counted, refused.
    /// </summary>
    public Task<ImmutableArray<Contribution>> Gather(string phase, Contribution contribution)
    {
        if (OpenExchange is { } exchange)
        {
            return exchange.Gather(phase, contribution);
        }

        _droppedBefore = _droppedBefore.Add(BarrierVerdict.Stale);
        return Task.FromException<ImmutableArray<Contribution>>(new ArgumentException(
            $"Contribution of {contribution.Sender} for epoch {contribution.Epoch} ({contribution.Service}) is stale: the round of epoch {Epoch} is {Phase} at step {Step}."));
    }

    /// <summary>Contributions that this round's mailboxes dropped as stale or counted as duplicates (item 7).</summary>
    public DropCounts Dropped =>
        _exchange is { } exchange ? _droppedBefore.Add(new DropCounts(exchange.Stale, 0, exchange.Duplicate)) : _droppedBefore;

    /// <summary>True once every member's process of the current step answered done.</summary>
    public bool IsStepDone => Phase == RoundPhase.Processing && _pending.Count == 0;

    /// <summary>Every member's last process answered done: activate the last service everywhere.</summary>
    public bool BeginActivation()
    {
        if (IsOver)
        {
            return false;
        }

        var ready = Services.Length == 0 ? Phase == RoundPhase.Starting
            : Phase == RoundPhase.Processing && Step == Services.Length - 1 && _pending.Count == 0;
        if (!ready)
        {
            throw new InvalidOperationException($"Epoch {Epoch}: cannot activate from {Phase} of step {Step}.");
        }

        Enter(RoundPhase.Activating);
        _pending.UnionWith(Configuration.Members);
        return true;
    }

    public bool ProcessorActivated(string processor)
    {
        if (Phase != RoundPhase.Activating || !_pending.Remove(processor))
        {
            return false;
        }

        Touch();
        return true;
    }

    /// <summary>Every member activated the last service: the round is complete.</summary>
    public bool Complete()
    {
        if (Phase != RoundPhase.Activating || _pending.Count > 0)
        {
            return false;
        }

        Enter(RoundPhase.Completed);
        ReplaceExchange(null);
        return true;
    }

    /// <summary>Aborts the round from any phase, superseded or failed (<paramref name="failure"/>); false if it was already over.</summary>
    public bool Abort(string reason, RoundFailure failure = RoundFailure.None)
    {
        if (IsOver)
        {
            return false;
        }

        AbortReason = reason;
        Failure = failure;
        Enter(RoundPhase.Aborted);
        _exchange?.Abandon($"the round of epoch {Epoch} was aborted: {reason}");
        ReplaceExchange(null);
        return true;
    }

    /// <summary>Notes a sign of life of the round: a barrier arrival, a member's progress report.</summary>
    public void Touch() => _lastActivity = _time.GetTimestamp();

    /// <summary>
    /// What the barrier of the current step still misses, as seen by a progress query: fewer than at the
    /// last look is a sign of life (arrivals are not reported one by one, which would cost a call each).
    /// </summary>
    public void ObserveBarrierMissing(int missing)
    {
        if (Phase != RoundPhase.Barrier)
        {
            return;
        }

        if (missing < _barrierMissing && _barrierMissing != int.MaxValue)
        {
            Touch();
        }

        _barrierMissing = Math.Min(_barrierMissing, missing);
    }

    /// <summary>How long the current phase has been running.</summary>
    public TimeSpan PhaseElapsed => Elapsed(_phaseStartedAt);

    /// <summary>How long since the round started.</summary>
    public TimeSpan Age => Elapsed(_startedAt);

    /// <summary>How long since the round last moved: a transition, or a <see cref="Touch"/>.</summary>
    public TimeSpan SinceActivity => Elapsed(_lastActivity);

    public RoundProgress Progress(ImmutableArray<string> barrierMissing) => new(
        Epoch,
        Phase,
        Step,
        Service,
        Phase == RoundPhase.Barrier ? barrierMissing : _pending.Order(StringComparer.Ordinal).ToImmutableArray(),
        [.. _steps],
        StartedAt,
        Elapsed(_startedAt),
        AbortReason,
        SinceActivity);

    public RoundSummary Summary() =>
        new(Epoch, Phase, Configuration.Members.Length, [.. _steps], Elapsed(_startedAt), AbortReason, Failed, Failure == RoundFailure.Service ? Service : null, _time.GetUtcNow());

    /// <summary>The mailbox that takes round traffic: the current step's, while it processes.</summary>
    private ExchangeMailbox? OpenExchange => Phase == RoundPhase.Processing ? _exchange : null;

    /// <summary>One step's mailbox at a time: it lives from its barrier to the notices that deliver it.</summary>
    private void ReplaceExchange(ExchangeMailbox? next)
    {
        _droppedBefore = Dropped;
        _exchange = next;
    }

    private void FinishStep()
    {
        _steps.Add(new StepTiming(Step, Services[Step], LastBarrierWait, Elapsed(_phaseStartedAt), _processCalls));
        _processCalls = 0;
    }

    private void Enter(RoundPhase phase)
    {
        Phase = phase;
        _phaseStartedAt = _lastActivity = _time.GetTimestamp();
        _pending.Clear();
        _barrierMissing = int.MaxValue;
    }

    private TimeSpan Elapsed(long since) => _time.GetElapsedTime(since);
}
