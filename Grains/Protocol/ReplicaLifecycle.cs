namespace Resync.Protocol;

internal enum ReplicaPhase
{
    /// <summary>Serving the last activated state; writes flow.</summary>
    Idle,
    /// <summary>Writes stopped for the round; waiting at the barrier.</summary>
    Gated,
    /// <summary>Init ran; process has not answered done yet.</summary>
    Initialized,
    /// <summary>Process answered done; waiting for the other members before activation.</summary>
    Done,
    /// <summary>The round's state is active; writes flow.</summary>
    Activated,
    /// <summary>The round was aborted; what it staged is discarded; writes flow.</summary>
    Aborted,
}

/// <summary>What a replica does with a callback request.</summary>
internal enum ReplicaVerdict
{
    /// <summary>Run the callback.</summary>
    Apply,
    /// <summary>Already done for this epoch: harmless, nothing to run.</summary>
    Duplicate,
    /// <summary>For an epoch this replica has left behind or saw aborted: dropped and counted (item 7).</summary>
    Stale,
    /// <summary>
    /// For an epoch newer than any this replica initialized: the replica that went through the round was
    /// lost (its silo stopped) and this fresh one has nothing of it to activate.
    /// </summary>
    Missed,
}

/// <summary>
/// One replica's place in the rounds (contract items 5, 6 and 7): gate, init, process until done,
/// then activate or abort, for one epoch at a time. A newer epoch supersedes an older one that staged
/// state without its abort having arrived yet; an abort for an epoch is remembered, so that its
/// late traffic is refused; activate runs at most once per epoch and never after its abort.
/// </summary>
internal sealed class ReplicaLifecycle
{
    private long _abortedThrough;

    /// <summary>The epoch of the round this replica takes or last took part in; 0 before any.</summary>
    public long Epoch { get; private set; }

    public ReplicaPhase Phase { get; private set; } = ReplicaPhase.Idle;

    /// <summary>The epoch whose state is active; 0 before any activation.</summary>
    public long ActivatedEpoch { get; private set; }

    /// <summary>True while a round has staged state that activate or abort must settle.</summary>
    public bool HasStaged => Phase is ReplicaPhase.Initialized or ReplicaPhase.Done;

    /// <summary>True while writes must wait: from the gate until activate or abort.</summary>
    public bool IsGated => Phase is ReplicaPhase.Gated or ReplicaPhase.Initialized or ReplicaPhase.Done;

    /// <summary>
    /// Whether a write that another member replicates here waits for this replica's gate instead of being refused:
    /// only once the round's merge is behind it (process done, activation pending). The members that activated
    /// already applied the write on top of the merge, and a refusal here would leave this replica without it until
    /// the next round. Before that, a refusal is safe (the merge ahead takes in whatever the members applied) and
    /// must be immediate: the writer's write holds back its own gate, which the round may be waiting for.
    /// </summary>
    public bool ReplicatedWriteWaits => Phase is ReplicaPhase.Done;

    /// <summary>
    /// Stops writes for the round of <paramref name="epoch"/>. When an older round still has staged
    /// state, <paramref name="superseded"/> is that epoch: abort it before anything else.
    /// </summary>
    public ReplicaVerdict Gate(long epoch, out long superseded)
    {
        superseded = 0;
        if (epoch < Epoch || epoch <= _abortedThrough)
        {
            return ReplicaVerdict.Stale;
        }

        if (epoch == Epoch)
        {
            return Phase is ReplicaPhase.Aborted ? ReplicaVerdict.Stale : ReplicaVerdict.Duplicate;
        }

        if (HasStaged)
        {
            superseded = Epoch;
        }

        Epoch = epoch;
        Phase = ReplicaPhase.Gated;
        return ReplicaVerdict.Apply;
    }

    public ReplicaVerdict Init(long epoch)
    {
        if (epoch < Epoch || epoch <= _abortedThrough || (epoch == Epoch && Phase is ReplicaPhase.Aborted))
        {
            return ReplicaVerdict.Stale;
        }

        if (epoch > Epoch || Phase is ReplicaPhase.Idle)
        {
            throw new InvalidOperationException($"Epoch {epoch}: init before the replica was gated (it is at epoch {Epoch}, {Phase}).");
        }

        if (Phase is not ReplicaPhase.Gated)
        {
            return ReplicaVerdict.Duplicate;
        }

        Phase = ReplicaPhase.Initialized;
        return ReplicaVerdict.Apply;
    }

    /// <summary>May process be called (again) for <paramref name="epoch"/>? Checked before every call (item 4).</summary>
    public bool CanProcess(long epoch) => epoch == Epoch && Phase is ReplicaPhase.Initialized;

    /// <summary>Process answered done for <paramref name="epoch"/>; false if the round was aborted meanwhile.</summary>
    public bool ProcessDone(long epoch)
    {
        if (!CanProcess(epoch))
        {
            return false;
        }

        Phase = ReplicaPhase.Done;
        return true;
    }

    public ReplicaVerdict Activate(long epoch)
    {
        if (epoch > Epoch)
        {
            return ReplicaVerdict.Missed;
        }

        if (epoch != Epoch || Phase is ReplicaPhase.Aborted)
        {
            return ReplicaVerdict.Stale;
        }

        switch (Phase)
        {
            case ReplicaPhase.Activated:
                return ReplicaVerdict.Duplicate;
            case ReplicaPhase.Done:
                Phase = ReplicaPhase.Activated;
                ActivatedEpoch = epoch;
                return ReplicaVerdict.Apply;
            default:
                throw new InvalidOperationException($"Epoch {epoch}: activate before process answered done ({Phase}).");
        }
    }

    /// <summary>
    /// Aborts the round of <paramref name="epoch"/> and remembers it, so its late traffic is refused.
    /// Returns the epoch whose staged state the service must discard, or 0 when nothing was staged.
    /// </summary>
    public long Abort(long epoch)
    {
        _abortedThrough = Math.Max(_abortedThrough, epoch);
        if (epoch < Epoch || !IsGated)
        {
            return 0;
        }

        var staged = HasStaged ? Epoch : 0;
        Phase = ReplicaPhase.Aborted;
        return staged;
    }
}
