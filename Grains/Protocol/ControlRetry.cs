namespace Resync.Protocol;

/// <summary>
/// The pauses between attempts of one control message (a notice, a barrier request): 20 ms, doubling up to 1 s.
/// The 2005 lesson: control messages need retry too, and a retry that does not back off floods a cluster that is
/// already in trouble.
/// </summary>
internal sealed class ControlRetry(TimeSpan first, TimeSpan longest)
{
    public static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(20);
    public static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(1);

    private readonly TimeSpan _first = first;
    private TimeSpan _next = first;

    /// <summary>The pauses of a control message: <see cref="FirstPause"/> doubling up to <see cref="MaxPause"/>.</summary>
    public ControlRetry()
        : this(FirstPause, MaxPause)
    {
    }

    /// <summary>The pause before the next attempt; each call doubles the one after it, up to the longest.</summary>
    public TimeSpan NextPause()
    {
        var pause = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, longest.Ticks));
        return pause;
    }

    /// <summary>An attempt succeeded: the next failure pauses the shortest time again.</summary>
    public void Reset() => _next = _first;
}
