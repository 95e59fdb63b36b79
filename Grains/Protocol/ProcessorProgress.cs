namespace Resync.Protocol;

/// <summary>What a processor does with a notice of the sequencer.</summary>
internal enum NoticeVerdict
{
    /// <summary>Follow it.</summary>
    Apply,

    /// <summary>Already followed (the sequencer's retry, a repeat): answered, counted, nothing changes.</summary>
    Duplicate,

    /// <summary>For an epoch this processor left behind or saw aborted: dropped and counted (item 7).</summary>
    Stale,
}

/// <summary>
/// One processor's place in the rounds, as its notices move it (contract items 3, 5, 6 and 7): it enters an
/// epoch, then for each step it is told of, activates the previous service and runs this one, and heads for the
/// next barrier; after the last barrier it finishes (activates the last service). A notice for a step it has
/// already followed, or a finish it has already done, is a duplicate and changes nothing: in particular no
/// replica is gated again after its activation (the defect where a repeated last notice closed writes until
/// the next change). A notice for an epoch it has left behind or saw aborted is stale.
/// </summary>
internal sealed class ProcessorProgress
{
    private long _abortedThrough;

    // How many services the current round has: the round's own count, since silos may register different services.
    private int _services;

    /// <summary>The newest epoch this processor entered; 0 before any.</summary>
    public long Epoch { get; private set; }

    /// <summary>The barrier this processor is headed for (or arrived at) in <see cref="Epoch"/>: 0 on entering, k+1 once told of step k.</summary>
    public int Barrier { get; private set; }

    /// <summary>The last service of <see cref="Epoch"/> is activated (or being activated) here.</summary>
    public bool Finished { get; private set; }

    /// <summary>Is <paramref name="epoch"/> the one this processor follows, and not aborted?</summary>
    public bool IsCurrent(long epoch) => epoch == Epoch && epoch > _abortedThrough;

    /// <summary>
    /// The notice to enter <paramref name="epoch"/>, of a round of <paramref name="roundServices"/> services (the round's
    /// own number). What the older epoch's round left here (<paramref name="left"/>) is settled first, in one of two ways:
    /// <list type="bullet">
    /// <item><see cref="Leftover.Owed"/>: the older epoch whose last barrier this processor reached without learning the
    /// round's fate (neither its finish nor its abort came). That round may be complete, and its last activation here
    /// must come before anything of the newer round (item 5).</item>
    /// <item><see cref="Leftover.Superseded"/>: the older epoch, when its round had not reached its last barrier here, with
    /// the steps whose replicas may hold what it staged (<see cref="Leftover.Steps"/>): the newer configuration aborted it
    /// (item 6). Its sequencer says so too, in the background; when that comes after this notice it is stale here, so the
    /// processor aborts them itself.</item>
    /// </list>
    /// </summary>
    public NoticeVerdict Enter(long epoch, int roundServices, out Leftover left)
    {
        left = Leftover.None;
        if (epoch < Epoch || epoch <= _abortedThrough)
        {
            return NoticeVerdict.Stale;
        }

        if (epoch == Epoch)
        {
            return NoticeVerdict.Duplicate;
        }

        if (Epoch > _abortedThrough && !Finished && Epoch != 0)
        {
            left = Barrier == _services ? Leftover.None with { Owed = Epoch }
                : Barrier > 0 ? Leftover.None with { Superseded = Epoch, Steps = InFlight() }
                : Leftover.None;
        }

        (Epoch, Barrier, Finished, _services) = (epoch, 0, false, roundServices);
        return NoticeVerdict.Apply;
    }

    /// <summary>What an older epoch's round left on a processor that enters a newer one (see <see cref="Enter"/>).</summary>
    /// <param name="Owed">The older epoch whose last activation may be owed here, or 0.</param>
    /// <param name="Superseded">The older epoch whose round the newer one aborted before its last barrier here, or 0.</param>
    /// <param name="Steps">The steps of <paramref name="Superseded"/> whose replicas may hold what it staged.</param>
    public readonly record struct Leftover(long Owed, long Superseded, ImmutableArray<int> Steps)
    {
        public static readonly Leftover None = new(0, 0, []);
    }

    /// <summary>
    /// Barrier <paramref name="step"/> completed in <paramref name="epoch"/>: activate step-1, run step. An epoch newer than
    /// the one entered is followed too: this processor lost its memory after entering (a crash), and its replicas say so.
    /// </summary>
    public NoticeVerdict Step(long epoch, int step, int roundServices)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (epoch < Epoch || epoch <= _abortedThrough)
        {
            return NoticeVerdict.Stale;
        }

        if (epoch == Epoch && (Finished || step + 1 <= Barrier))
        {
            return NoticeVerdict.Duplicate;
        }

        (Epoch, Barrier, Finished, _services) = (epoch, step + 1, false, roundServices);
        return NoticeVerdict.Apply;
    }

    /// <summary>The last barrier of <paramref name="epoch"/> completed: activate the last service, once.</summary>
    public NoticeVerdict Finish(long epoch, int roundServices)
    {
        if (epoch < Epoch || epoch <= _abortedThrough)
        {
            return NoticeVerdict.Stale;
        }

        if (epoch == Epoch && Finished)
        {
            return NoticeVerdict.Duplicate;
        }

        (Epoch, Barrier, Finished, _services) = (epoch, roundServices, true, roundServices);
        return NoticeVerdict.Apply;
    }

    /// <summary>
    /// The round of <paramref name="epoch"/> was aborted: remembered, so its late notices are stale. Returns the steps
    /// whose replicas may hold what it staged (the service in flight, and the one before it, whose activation may
    /// not have run); empty when there is nothing here to abort (another epoch, not started, or finished: a duplicate).
    /// </summary>
    public ImmutableArray<int> Abort(long epoch)
    {
        var wasCurrent = IsCurrent(epoch);
        _abortedThrough = Math.Max(_abortedThrough, epoch);
        if (!wasCurrent || Finished || Barrier == 0)
        {
            return [];
        }

        return InFlight();
    }

    /// <summary>The service in flight in <see cref="Epoch"/>, and the one before it, whose activation may not have run.</summary>
    private ImmutableArray<int> InFlight()
    {
        var inFlight = Barrier - 1;
        return inFlight > 0 ? [inFlight - 1, inFlight] : [inFlight];
    }
}
