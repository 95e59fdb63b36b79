namespace Resync.Protocol;

/// <summary>
/// The pauses between attempts of one control message (a notice, a barrier request): 20 ms, doubling up to 1 s.
/// The 2005 lesson: control messages need retry too, and a retry that does not back off floods a cluster that is
/// already in trouble.
/// </summary>
internal sealed class ControlRetry
{
    public static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(20);
    public static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(1);

    private TimeSpan _next = FirstPause;

    /// <summary>The pause before the next attempt; each call doubles the one after it, up to <see cref="MaxPause"/>.</summary>
    public TimeSpan NextPause()
    {
        var pause = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, MaxPause.Ticks));
        return pause;
    }
}
