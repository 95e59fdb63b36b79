namespace Resync.Protocol;

/// <summary>
/// Coalescing of configuration changes (flapping): a change after a quiet spell starts its round at once;
/// a change that comes within the settle time of the previous one, or that aborts a round that had barely
/// started, is part of a burst, and the next round waits until the changes stop for the settle time (at
/// most <c>maxDelay</c> after the burst began). A round that a settle started and the same burst then
/// aborted shows that the settle is shorter than the burst's rhythm, so the settle doubles (up to
/// <c>maxDelay</c>) until a round completes: a burst costs few rounds whatever its rhythm, and a steady one
/// costs one round at the settle time after its last change.
/// </summary>
internal sealed class ChangeBursts
{
    private readonly TimeSpan _settle;
    private readonly TimeSpan _maxDelay;
    private readonly TimeProvider _time;
    private long _lastChangeAt;
    private long _startedAt;
    private bool _startedBySettle;
    private int _level;
    private long? _deferredSince;
    private (long ArmedAt, TimeSpan Due) _dueAt;

    public ChangeBursts(TimeSpan settle, TimeSpan maxDelay, TimeProvider time)
    {
        if (settle < TimeSpan.Zero || maxDelay < settle)
        {
            throw new ArgumentException($"The settle time ({settle}) must not be negative, nor more than the longest delay ({maxDelay}).");
        }

        (_settle, _maxDelay, _time) = (settle, maxDelay, time);
    }

    /// <summary>The current settle time: the configured one, doubled for every round this burst wasted.</summary>
    public TimeSpan Settle => TimeSpan.FromTicks(Math.Min(_settle.Ticks << Math.Min(_level, 20), _maxDelay.Ticks));

    /// <summary>Whether a start is deferred until the burst settles.</summary>
    public bool Deferring => _deferredSince is not null;

    /// <summary>
    /// A change was committed while the newest started round is (<paramref name="roundInFlight"/>) or is not
    /// in flight. Returns null to start its round at once, or how long to defer the start: the timer is re-armed
    /// with that at every change of the burst.
    /// </summary>
    public TimeSpan? Change(bool roundInFlight)
    {
        var settle = Settle;
        var quick = _lastChangeAt != 0 && _time.GetElapsedTime(_lastChangeAt) < settle;
        var young = _startedAt != 0 && _time.GetElapsedTime(_startedAt) < settle * 2;
        if (!Deferring && !(roundInFlight && (quick || young)))
        {
            return null;
        }

        if (roundInFlight && young && _startedBySettle && !Deferring)
        {
            _level++;
            settle = Settle;
        }

        _deferredSince ??= _time.GetTimestamp();
        var left = _maxDelay - _time.GetElapsedTime(_deferredSince.Value);
        var due = TimeSpan.FromTicks(Math.Clamp(left.Ticks, 0, settle.Ticks));
        _dueAt = (_time.GetTimestamp(), due);
        return due;
    }

    /// <summary>How long the deferred start still has to wait: a timer armed before the last change fires early.</summary>
    public TimeSpan Left => _dueAt.Due - _time.GetElapsedTime(_dueAt.ArmedAt);

    /// <summary>The change is handled: the next one's quiet spell counts from here, not from its arrival (the caller's own time to come back).</summary>
    public void Handled() => _lastChangeAt = _time.GetTimestamp();

    /// <summary>A round started: at once for a change (<paramref name="bySettle"/> false) or when a burst settled.</summary>
    public void Started(bool bySettle)
    {
        _startedAt = _time.GetTimestamp();
        _startedBySettle = bySettle;
        if (bySettle)
        {
            _deferredSince = null;
        }
    }

    /// <summary>A round completed: the burst is over, and the next one starts from the configured settle time.</summary>
    public void Completed() => _level = 0;
}
