namespace Resync.Protocol;

/*
 * The round: how one epoch's configuration re-synchronizes every service (docs/CONTRACT.md).
 *
 * A round belongs to one epoch and is never reused (item 1). It goes through the S registered services in
 * order (item 2) with one barrier per step, as the original engine does (item 3): the barrier that ends
 * service k-1 is the one that starts service k. There are S+1 barriers, numbered 0..S:
 *
 *   Barrier 0      Every member enters the epoch (the sequencer's enter notice) and sends its request for
 *                  barrier 0. Nothing is gated yet: the round has not touched any replica.
 *   Step k         Barrier k completed. Each member, on its own and in this order, activates service k-1
 *                  with what step k-1 delivered to it, stops and drains writes to service k, inits it and
 *                  processes it until done (items 2, 3, 4). Its done is its request for barrier k+1, which
 *                  carries what its process sent; a long transfer posts ahead to the step's mailbox, and
 *                  large addressed sends go to their recipients' inboxes, so everything a replica sent is
 *                  delivered before its done counts (item 4). All-to-all gatherings inside process meet in
 *                  the same mailbox.
 *   Barrier S      The last barrier: every member's process of the last service answered done. From here
 *                  the round is complete (item 5): each member activates the last service on its own, a
 *                  newer configuration no longer aborts it (Supersede only stops waiting for members that
 *                  left), and history and metrics count it as completed once the members still in the
 *                  cluster have activated.
 *
 * Activation of service k therefore happens only after every member's process for k answered done (barrier
 * k+1 needs every member), at most once per member (one step notice per member activates it), and on every
 * member before its init of service k+1 (the member's own order).
 *
 * A newer configuration aborts the round from any phase before the last barrier (item 6): Supersede decides
 * at once, here, and afterwards every input is stale. The sequencer then tells the old members in the
 * background; nobody waits for their answers, least of all for a member that is gone (it is told when it can
 * be). The replicas discard what the round staged, whether they were processing, done and waiting at the
 * next barrier, or not yet initialized; a replica's abort runs after the callback in flight returns, never
 * beside it. Nothing of an aborted round is activated: the sequencer checks the phase after every await,
 * processors and replicas refuse notices of epochs they saw aborted or left behind (item 7).
 *
 * Duplicates are harmless everywhere: a barrier request counted twice, a notice repeated by the sequencer's
 * retry, an abort after an activation. Each is answered, counted and changes nothing.
 *
 * This class holds no Orleans types, sends nothing and never blocks: the sequencer grain drives it and
 * performs the calls. An input that arrives out of turn (a completion of another barrier, an activation
 * from a processor that is not pending) returns false and changes nothing.
 */
internal sealed class Round
{
    private readonly TimeProvider _time;
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private readonly List<StepTiming> _steps = [];
    private readonly long _startedAt;
    private long _phaseStartedAt;
    private long _lastActivity;
    private TimeSpan _stepBarrierWait;
    private int _barrierMissing = int.MaxValue;
    private ExchangeMailbox? _open;
    private ExchangeMailbox? _delivered;
    private DropCounts _droppedBefore = DropCounts.None;

    /// <summary>Refuses a configuration that the sequencer of <paramref name="epoch"/> cannot run: another epoch's, or members not valid, sorted ordinally and distinct.</summary>
    public static void Validate(Configuration configuration, long epoch)
    {
        if (configuration.Epoch != epoch)
        {
            throw new ArgumentException($"The sequencer of epoch {epoch} cannot run epoch {configuration.Epoch}.", nameof(configuration));
        }

        if (configuration.Members.IsDefault || configuration.Members.Any(m => !ProcessorId.IsValid(m)) ||
            !configuration.Members.SequenceEqual(configuration.Members.Distinct().Order(StringComparer.Ordinal)))
        {
            throw new ArgumentException($"Epoch {epoch}: members must be valid processor ids, sorted ordinally, without duplicates.", nameof(configuration));
        }
    }

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

    /// <summary>
    /// For each service that some members lack (their silo has no replica of it, as in a rolling upgrade), those members:
    /// known from the first barrier on. They take part in its step without a replica; its exchange is among the others.
    /// </summary>
    public ImmutableDictionary<string, ImmutableArray<string>> Lacking { get; private set; } = ImmutableDictionary<string, ImmutableArray<string>>.Empty;

    /// <summary>The members that lack the service of <paramref name="step"/>, sorted.</summary>
    public ImmutableArray<string> LackingAt(int step) => Lacking.GetValueOrDefault(Services[step], []);

    /// <summary>The members that have a replica of the service of <paramref name="step"/>.</summary>
    public ImmutableArray<string> HoldersOf(int step) =>
        Lacking.TryGetValue(Services[step], out var lacking) ? [.. Configuration.Members.Except(lacking)] : Configuration.Members;

    public long Epoch => Configuration.Epoch;

    public RoundPhase Phase { get; private set; } = RoundPhase.Starting;

    /// <summary>The step in flight (its service is processing); -1 before barrier 0 completes.</summary>
    public int Step { get; private set; } = -1;

    public string? Service => Step >= 0 && Step < Services.Length ? Services[Step] : null;

    /// <summary>The barrier the members are on their way to, while there is one: 0 at the start, then Step + 1.</summary>
    public int? NextBarrier => Phase switch
    {
        RoundPhase.Barrier => 0,
        RoundPhase.Processing => Step + 1,
        _ => null,
    };

    /// <summary>The number of barriers: one per service, and the last one that ends the round.</summary>
    public int Barriers => Services.Length + 1;

    public DateTimeOffset StartedAt { get; }

    public string? AbortReason { get; private set; }

    /// <summary>True when the round was aborted because it failed, not because a newer configuration superseded it.</summary>
    public bool Failed => Failure != RoundFailure.None;

    public RoundFailure Failure { get; private set; }

    public bool IsOver => Phase is RoundPhase.Completed or RoundPhase.Aborted;

    /// <summary>Past the last barrier: complete, whatever comes (item 5); only the members' last activations are outstanding.</summary>
    public bool IsComplete => Phase is RoundPhase.Activating or RoundPhase.Completed;

    public IReadOnlyList<StepTiming> Steps => _steps;

    /// <summary>How long the last completed barrier took from its first arrival to its last.</summary>
    public TimeSpan LastBarrierWait { get; private set; }

    /// <summary>Members whose last activation is outstanding (the barriers know who they wait for).</summary>
    public IReadOnlyCollection<string> Pending => _pending;

    /// <summary>The barriers are open and the members are told to enter the epoch: the round waits for barrier 0.</summary>
    public bool Open()
    {
        if (Phase != RoundPhase.Starting)
        {
            return false;
        }

        Enter(RoundPhase.Barrier);
        return true;
    }

    /// <summary>
    /// Barrier <paramref name="barrier"/> completed, with what the members' processes of the step it ends sent
    /// (<paramref name="carried"/>, the requests' freight) and the spread of their arrivals (<paramref name="wait"/>).
    /// Ends step barrier-1 and starts step barrier, or, after the last barrier, makes the round complete.
    /// </summary>
    public bool CompleteBarrier(int barrier, ImmutableArray<Contribution> carried, long processCalls, TimeSpan wait, IReadOnlyDictionary<string, ImmutableArray<string>>? lacking = null)
    {
        if (NextBarrier != barrier)
        {
            return false;
        }

        if (barrier == 0 && lacking is not null)
        {
            Lacking = lacking.Where(l => Services.Contains(l.Key)).ToImmutableDictionary(StringComparer.Ordinal);
        }

        LastBarrierWait = wait;
        if (Phase == RoundPhase.Processing)
        {
            Post(carried);
            _steps.Add(new StepTiming(Step, Services[Step], _stepBarrierWait, Elapsed(_phaseStartedAt), processCalls));
        }

        _stepBarrierWait = wait;
        ReplaceExchange(barrier < Services.Length ? new ExchangeMailbox(Epoch, Services[barrier], HoldersOf(barrier)) : null);
        if (barrier < Services.Length)
        {
            Step = barrier;
            Enter(RoundPhase.Processing);
            return true;
        }

        Enter(RoundPhase.Activating);
        _pending.UnionWith(Configuration.Members);
        return true;
    }

    /// <summary>
    /// Contributions that a member's process sent ahead of its done (a long transfer, in batches). Outside
    /// processing they are stale: dropped and counted.
    /// </summary>
    public void Post(ImmutableArray<Contribution> sent)
    {
        foreach (var contribution in sent.IsDefault ? [] : sent)
        {
            if (Phase == RoundPhase.Processing && _open is { } exchange)
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
    /// What the last finished step delivered to <paramref name="member"/>: everything sent to it or to all,
    /// sorted by sender and sequence. It goes with the notice that activates that step's service; a member that lacks
    /// the service has no replica to activate, and gets nothing.
    /// </summary>
    public ImmutableArray<Contribution> Received(string member) =>
        _delivered is { } delivered && !(Lacking.TryGetValue(delivered.Service, out var lacking) && lacking.BinarySearch(member, StringComparer.Ordinal) >= 0)
            ? delivered.Collect(member)
            : [];

    /// <summary>
    /// An all-to-all gathering inside the current step's process (see <see cref="ExchangeMailbox.Gather"/>).
    /// Outside processing, or for another epoch, service or step, the contribution is stale: dropped, counted, refused.
    /// </summary>
    public Task<ImmutableArray<Contribution>> Gather(string phase, Contribution contribution)
    {
        if (Phase == RoundPhase.Processing && _open is { } exchange)
        {
            return exchange.Gather(phase, contribution);
        }

        _droppedBefore = _droppedBefore.Add(BarrierVerdict.Stale);
        return Task.FromException<ImmutableArray<Contribution>>(new ArgumentException(
            $"Contribution of {contribution.Sender} for epoch {contribution.Epoch} ({contribution.Service}) is stale: the round of epoch {Epoch} is {Phase} at step {Step}."));
    }

    /// <summary>Contributions that this round's mailboxes dropped as stale or counted as duplicates (item 7).</summary>
    public DropCounts Dropped =>
        _open is { } exchange ? _droppedBefore.Add(new DropCounts(exchange.Stale, 0, exchange.Duplicate)) : _droppedBefore;

    /// <summary>A member finished its last activation; false if it was not pending (a duplicate, or a member no longer waited for).</summary>
    public bool MemberActivated(string processor)
    {
        if (Phase != RoundPhase.Activating || !_pending.Remove(processor))
        {
            return false;
        }

        Touch();
        return true;
    }

    /// <summary>True while <paramref name="processor"/>'s last activation is awaited.</summary>
    public bool AwaitsActivation(string processor) => Phase == RoundPhase.Activating && _pending.Contains(processor);

    /// <summary>Whether every member still waited for has activated the last service: then the round is finished, its outcome <see cref="RoundPhase.Completed"/>.</summary>
    public bool TryFinish()
    {
        if (Phase != RoundPhase.Activating || _pending.Count > 0)
        {
            return false;
        }

        Enter(RoundPhase.Completed);
        ReplaceExchange(null);
        _delivered = null;
        return true;
    }

    /// <summary>
    /// A newer configuration <paramref name="next"/> exists. Before the last barrier the round is aborted
    /// (returns true); past it the round is complete and stays so, and only stops waiting for the members
    /// that <paramref name="next"/> no longer has (item 5; no wait on a member that is gone).
    /// </summary>
    public bool Supersede(Configuration next, string reason)
    {
        if (Phase == RoundPhase.Activating)
        {
            _pending.RemoveWhere(member => !next.IsMember(member));
            return false;
        }

        return Abort(reason);
    }

    /// <summary>
    /// Aborts the round before its last barrier, superseded or failed (<paramref name="failure"/>); false if it
    /// was over or complete already: a complete round is never aborted.
    /// </summary>
    public bool Abort(string reason, RoundFailure failure = RoundFailure.None)
    {
        if (IsOver || IsComplete)
        {
            return false;
        }

        AbortReason = reason;
        Failure = failure;
        Enter(RoundPhase.Aborted);
        _open?.Abandon($"the round of epoch {Epoch} was aborted: {reason}");
        ReplaceExchange(null);
        _delivered = null;
        return true;
    }

    /// <summary>Notes a sign of life of the round: a member's progress report.</summary>
    public void Touch() => _lastActivity = _time.GetTimestamp();

    /// <summary>
    /// What the barrier ahead still misses, as seen by a progress query: fewer than at the last look is a sign
    /// of life (arrivals are not reported one by one, which would cost a call each).
    /// </summary>
    public void ObserveBarrierMissing(int missing)
    {
        if (NextBarrier is null)
        {
            return;
        }

        if (missing < _barrierMissing && _barrierMissing != int.MaxValue)
        {
            Touch();
        }

        _barrierMissing = Math.Min(_barrierMissing, missing);
    }

    /// <summary>How long the current phase (step) has been running.</summary>
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
        NextBarrier is not null ? barrierMissing : _pending.Order(StringComparer.Ordinal).ToImmutableArray(),
        [.. _steps],
        StartedAt,
        Elapsed(_startedAt),
        AbortReason,
        SinceActivity) { Lacking = Lacks(), PhaseElapsed = PhaseElapsed };

    public RoundSummary Summary() =>
        new(Epoch, Phase, Configuration.Members.Length, [.. _steps], Elapsed(_startedAt), AbortReason, Failed, Failure == RoundFailure.Service ? Service : null, _time.GetUtcNow())
        {
            Lacking = Lacks(),
        };

    private ImmutableArray<ServiceLack> Lacks() =>
        [.. Lacking.OrderBy(l => Services.IndexOf(l.Key)).Select(l => new ServiceLack(l.Key, l.Value))];
    /// <summary>One step's mailbox open at a time; the one it replaces is kept for its deliveries until the next step ends.</summary>
    private void ReplaceExchange(ExchangeMailbox? next)
    {
        _droppedBefore = Dropped;
        _delivered = _open;
        _open = next;
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
