using System.Diagnostics;

namespace Resync.Runtime;

/// <summary>
/// The system's clock, except that a one-shot timer due in less than <see cref="PreciseBelow"/> fires
/// within about a tenth of a millisecond of its due time on Linux (elsewhere, within a millisecond). .NET's
/// timers read <see cref="Environment.TickCount64"/>, which on Linux follows the kernel's coarse clock: on this
/// project's machines it moves in 4 ms steps, and a 2 ms timer fired after 4.3 ms; its waits count whole
/// milliseconds. That would make the settle time of a burst of configuration changes (0.5 ms) cost 4 ms,
/// so the settle timer comes from here. Longer timers stay on .NET's timer queue, where 4 ms is noise and
/// which handles thousands of them better than one thread.
/// </summary>
internal sealed class PreciseTimeProvider : TimeProvider
{
    /// <summary>Timers due in less than this fire from the dedicated thread.</summary>
    public static readonly TimeSpan PreciseBelow = TimeSpan.FromMilliseconds(50);

    private static readonly TimeSpan OneMillisecond = TimeSpan.FromMilliseconds(1);

    public static PreciseTimeProvider Instance { get; } = new();

    // An object, not a Lock: the thread waits on it with Monitor.Wait.
    private readonly object _lock = new();
    private readonly PriorityQueue<(ShortTimer Timer, int Version), long> _due = new();
    private Thread? _thread;

    private PreciseTimeProvider()
    {
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        if (period != Timeout.InfiniteTimeSpan || dueTime >= PreciseBelow || (dueTime < TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan))
        {
            return System.CreateTimer(callback, state, dueTime, period);
        }

        var timer = new ShortTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private void Schedule(ShortTimer timer, int version, TimeSpan dueTime)
    {
        var due = GetTimestamp() + (long)(dueTime.TotalSeconds * Stopwatch.Frequency);
        lock (_lock)
        {
            _due.Enqueue((timer, version), due);
            if (_thread is null)
            {
                _thread = new Thread(FireDueTimers) { IsBackground = true, Name = "Resync short timers" };
                _thread.Start();
            }

            // The new timer may be due before the one the thread waits for.
            Monitor.Pulse(_lock);
        }
    }

    private void FireDueTimers()
    {
        while (true)
        {
            TimeSpan nap;
            lock (_lock)
            {
                if (!_due.TryPeek(out var next, out var due))
                {
                    Monitor.Wait(_lock);
                    continue;
                }

                if (next.Timer.Version != next.Version)
                {
                    // Changed or disposed since: a burst re-arms the settle timer at every change, so most are.
                    _due.Dequeue();
                    continue;
                }

                nap = GetElapsedTime(GetTimestamp(), due);
                if (nap <= TimeSpan.Zero)
                {
                    _due.Dequeue();
                    ThreadPool.UnsafeQueueUserWorkItem(static timer => timer.Fire(), next.Timer, preferLocal: false);
                    continue;
                }

                if (nap >= OneMillisecond || !HighResolutionSleep.IsSupported)
                {
                    // Waits take whole milliseconds: wait the whole ones left (at least one), then check again.
                    Monitor.Wait(_lock, Math.Max(1, (int)nap.TotalMilliseconds));
                    continue;
                }
            }

            // Less than a millisecond left: slept outside the lock, so a timer armed meanwhile waits at most that long.
            HighResolutionSleep.Sleep(nap);
        }
    }

    /// <summary>A one-shot timer on the dedicated thread; a change or a dispose makes its earlier schedule stale.</summary>
    private sealed class ShortTimer(PreciseTimeProvider provider, TimerCallback callback, object? state) : ITimer
    {
        private int _version;
        private bool _disposed;

        public int Version => Volatile.Read(ref _version);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (period != Timeout.InfiniteTimeSpan)
            {
                throw new NotSupportedException("A short timer fires once.");
            }

            ArgumentOutOfRangeException.ThrowIfLessThan(dueTime, Timeout.InfiniteTimeSpan);
            int version;
            lock (provider._lock)
            {
                if (_disposed)
                {
                    return false;
                }

                version = ++_version;
            }

            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                provider.Schedule(this, version, dueTime);
            }

            return true;
        }

        public void Fire()
        {
            callback(state);
        }

        public void Dispose()
        {
            lock (provider._lock)
            {
                _disposed = true;
                _version++;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
