namespace Resync.Protocol;

/// <summary>
/// The configuration's watchdog over the current round, as a decision: renew the round (a new epoch with the same
/// members) or leave it. A round that shows no sign of life for the stall timeout before its last barrier is
/// renewed; a complete round never is (item 5). A sequencer that answers without a round, or cannot be reached for a
/// whole stall timeout, lost its round, unless the round ended and its report is still on its way to the
/// configuration: so that verdict must hold at two looks in a row, and the report, queued behind the first look,
/// lands between them (the defect where a completed round was renewed as stalled 13 ms after it completed).
/// </summary>
internal sealed class RoundWatch(TimeSpan stall, TimeSpan interval)
{
    private long _lostAtLastLook;
    private int _unanswered;

    /// <summary>What one look at the round of <paramref name="epoch"/> found: its progress, or null (no round there, or no answer).</summary>
    public bool ShouldRenew(long epoch, RoundProgress? progress, bool answered)
    {
        if (answered)
        {
            _unanswered = 0;
        }
        else if (++_unanswered * interval <= stall)
        {
            return false;
        }

        if (progress is not null)
        {
            _lostAtLastLook = 0;
            return progress.Phase is RoundPhase.Starting or RoundPhase.Barrier or RoundPhase.Processing && progress.SinceActivity > stall;
        }

        if (_lostAtLastLook != epoch)
        {
            _lostAtLastLook = epoch;
            return false;
        }

        Reset();
        return true;
    }

    /// <summary>Nothing to watch (no round in flight, or one that completed): forget what earlier looks found.</summary>
    public void Reset() => (_lostAtLastLook, _unanswered) = (0, 0);
}
