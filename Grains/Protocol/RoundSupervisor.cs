namespace Resync.Protocol;

/// <summary>What a new configuration does to the rounds: the round it supersedes, if any, and when its own round starts.</summary>
/// <param name="Supersedes">The epoch of the round in flight that the new configuration aborts; null when none is in flight.</param>
/// <param name="DeferFor">Null: start the new round now. Else: a burst of changes is under way; start once it settles, this long from now.</param>
internal readonly record struct Advance(long? Supersedes, TimeSpan? DeferFor);

/// <summary>What the end of a round asks of the configuration grain.</summary>
/// <param name="WarmNext">The round was the current epoch's: activate the next epoch's sequencer and barrier now, while nothing waits for them.</param>
/// <param name="RetryAfter">The current epoch's round failed: renew the epoch after this pause (doubling with each consecutive failure).</param>
/// <param name="Attempt">How many rounds in a row failed.</param>
/// <param name="NewlyFailing">A service that crossed the failure threshold with this round.</param>
/// <param name="Recovered">Services that were failing and completed a round.</param>
/// <param name="PersistCompleted">The current epoch completed for the first time: persist it, so that a restart does not renew it.</param>
internal readonly record struct RoundEnd(
    bool WarmNext, TimeSpan? RetryAfter, int Attempt, string? NewlyFailing, ImmutableArray<string> Recovered, bool PersistCompleted);

/// <summary>
/// The configuration grain's decisions about the rounds it starts, with no Orleans in them: which round a new
/// configuration supersedes, whether its round starts now or once a burst of changes settles, what the end of a
/// round means (warm the next epoch, retry after a backoff, a service failing or recovered, an epoch to persist
/// as completed), and when the watchdog gives up on a round for a new epoch with the same members. The grain
/// holds one, persists, keeps the timers and sends.
/// </summary>
internal sealed class RoundSupervisor(
    int historyLength,
    int serviceFailureThreshold,
    TimeSpan stallTimeout,
    TimeSpan changeSettle,
    TimeSpan maxChangeDelay,
    TimeSpan maxRetryPause,
    TimeProvider time)
{
    /// <summary>The first pause before a failed round is retried; it doubles with every consecutive failure, up to the maximum.</summary>
    public static readonly TimeSpan FirstRetryPause = TimeSpan.FromMilliseconds(50);

    private readonly ChangeBursts _bursts = new(changeSettle, maxChangeDelay, time);
    private readonly RoundWatch _watch = new(stallTimeout, stallTimeout / 4);
    private readonly ServiceFailures _serviceFailures = new(serviceFailureThreshold);

    // The newest epoch whose round was started (it may be in flight), the newest superseded, and the epoch whose failed round awaits its retry.
    private long _startedEpoch;
    private long _supersededEpoch;
    private long? _retryOf;
    private int _failedAttempts;

    public RoundHistory History { get; } = new(historyLength);

    // Why each recent epoch exists (a join, a silo's departure, a retry...), for its round's summary.
    private readonly Dictionary<long, (string Cause, ImmutableArray<string> Evicted, Configuration? Configuration)> _causes = [];

    /// <summary>The newest configuration whose round completed, since this supervisor began (null before: not known).</summary>
    public Configuration? LastCompleted { get; private set; }

    public ImmutableArray<ServiceHealth> ServiceHealth => _serviceFailures.Current;

    public DropCounts Dropped { get; private set; } = DropCounts.None;

    /// <summary>A burst of changes is settling: the current configuration's round has not started yet.</summary>
    public bool Deferring => _bursts.Deferring;

    /// <summary>How long the settling burst has left.</summary>
    public TimeSpan SettleLeft => _bursts.Left;

    /// <summary>After a restart of the grain: the persisted epoch's round may still be in flight somewhere, and the next change supersedes it.</summary>
    public void Resume(long epoch) => _startedEpoch = epoch;

    /// <summary>A new configuration was persisted; what it does to the round in flight and when its own round starts.</summary>
    public Advance Advanced()
    {
        var inFlight = _startedEpoch > History.LastEndedEpoch;
        var deferFor = _bursts.Change(roundInFlight: inFlight);
        long? supersedes = null;
        if (inFlight && _startedEpoch > _supersededEpoch)
        {
            supersedes = _supersededEpoch = _startedEpoch;
        }

        return new Advance(supersedes, deferFor);
    }

    /// <summary>Remembers why <paramref name="configuration"/> was made, for the summary of its round (history's reason).</summary>
    public void Caused(Configuration configuration, string cause)
    {
        _causes[configuration.Epoch] = (cause, [], configuration);
        if (_causes.Count > 2 * historyLength)
        {
            var oldest = _causes.Keys.Order().Take(_causes.Count - historyLength).ToList();
            oldest.ForEach(e => _causes.Remove(e));
        }
    }

    /// <summary>The change that made <paramref name="epoch"/> evicted <paramref name="processors"/> (history names them).</summary>
    public void Evicted(long epoch, ImmutableArray<string> processors)
    {
        if (_causes.TryGetValue(epoch, out var cause))
        {
            _causes[epoch] = cause with { Evicted = processors };
        }
    }

    /// <summary>The change was handled (the round superseded, and the new one started or deferred): the burst counts from here.</summary>
    public void AdvanceHandled() => _bursts.Handled();

    /// <summary>The round of <paramref name="epoch"/> is being started, at once or when its burst settled.</summary>
    public void Starting(long epoch, bool bySettle)
    {
        _startedEpoch = epoch;
        _bursts.Started(bySettle);
    }

    public void AddDropped(DropCounts counts) => Dropped = Dropped.Add(counts);

    /// <summary>A round ended (its sequencer says so); <paramref name="currentEpoch"/> is the configuration's epoch now.</summary>
    public RoundEnd Ended(RoundSummary summary, long currentEpoch, long completedEpoch)
    {
        if (_causes.Remove(summary.Epoch, out var cause))
        {
            summary = summary.Cause is null ? summary with { Cause = cause.Cause, Evicted = cause.Evicted } : summary;
            if (summary.Outcome == RoundPhase.Completed && summary.Epoch > (LastCompleted?.Epoch ?? 0) && cause.Configuration is { } completed)
            {
                LastCompleted = completed;
            }
        }

        History.Add(summary);
        var current = summary.Epoch == currentEpoch;
        string? newlyFailing = null;
        // A round that the cluster failed under (a silo stopped or died) is retried like any other, but is no service's failure.
        if (summary.FailedService is { } service && _serviceFailures.Record(service, $"epoch {summary.Epoch}: {summary.AbortReason ?? "failed"}"))
        {
            newlyFailing = service;
        }

        TimeSpan? retryAfter = null;
        ImmutableArray<string> recovered = [];
        if (summary.Failed && current)
        {
            _failedAttempts++;
            _retryOf = summary.Epoch;
            retryAfter = TimeSpan.FromTicks(Math.Min(FirstRetryPause.Ticks << Math.Min(_failedAttempts - 1, 30), maxRetryPause.Ticks));
        }
        else if (summary.Outcome == RoundPhase.Completed)
        {
            _failedAttempts = 0;
            _bursts.Completed();
            recovered = [.. _serviceFailures.Current.Where(f => f.Failing).Select(f => f.Service)];
            _serviceFailures.RoundCompleted();
        }

        var persist = summary.Outcome == RoundPhase.Completed && current && summary.Epoch > completedEpoch;
        return new RoundEnd(current, retryAfter, _failedAttempts, newlyFailing, recovered, persist);
    }

    /// <summary>The retry's pause is over: whether the failed epoch is still current, so that the retry renews it.</summary>
    public bool RetryDue(long currentEpoch)
    {
        var due = _retryOf == currentEpoch;
        _retryOf = null;
        return due;
    }

    /// <summary>
    /// Whether a quiet cluster's round is due: the round of <paramref name="currentEpoch"/> completed at least
    /// <paramref name="quiet"/> ago (zero: never), and nothing is in flight, awaiting its retry or settling.
    /// </summary>
    public bool QuietRoundDue(long currentEpoch, TimeSpan quiet) =>
        quiet > TimeSpan.Zero && History.LastCompleted is { } last && last.Epoch == currentEpoch && last.Members > 0 &&
        _retryOf is null && !_bursts.Deferring && time.GetUtcNow() - last.EndedAt >= quiet;

    /// <summary>Whether the watchdog looks at the round of <paramref name="currentEpoch"/> now: one is expected and nothing else will renew it.</summary>
    public bool Watches(long currentEpoch)
    {
        var watches = currentEpoch != 0 && History.LastCompleted?.Epoch != currentEpoch && _retryOf is null && !_bursts.Deferring;
        if (!watches)
        {
            _watch.Reset();
        }

        return watches;
    }

    /// <summary>What the watchdog saw of the round (<paramref name="answered"/>: whether its sequencer answered): whether to renew the epoch (<see cref="RoundWatch"/>).</summary>
    public bool Stalled(long epoch, RoundProgress? progress, bool answered) =>
        _watch.ShouldRenew(epoch, progress, answered) && History.LastCompleted?.Epoch != epoch;

    /// <summary>The status of the round of <paramref name="epoch"/> when it completed; null when it did not (its sequencer knows where it is).</summary>
    public RoundProgress? Completed(long epoch) =>
        History.LastCompleted is { } last && last.Epoch == epoch
            ? new RoundProgress(last.Epoch, RoundPhase.Completed, last.Steps.Length - 1, null, [], last.Steps, last.EndedAt - last.Duration, last.Duration, null)
            {
                Lacking = last.Lacking,
            }
            : null;
}
