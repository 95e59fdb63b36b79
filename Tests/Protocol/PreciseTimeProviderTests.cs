using System.Diagnostics;
using Resync.Runtime;

namespace Resync.Tests.Protocol;

public sealed class PreciseTimeProviderTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(5);
    private static readonly TimeProvider Time = PreciseTimeProvider.Instance;

    private static async Task<TimeSpan> FiredAfter(TaskCompletionSource<long> fired, long armedAt, string what)
    {
        var at = await fired.Task.WaitAsync(Bound).ConfigureAwait(false);
        Assert.True(fired.Task.IsCompletedSuccessfully, $"{what} did not fire");
        return Stopwatch.GetElapsedTime(armedAt, at);
    }

    [Fact]
    public async Task A_short_timer_fires_once_and_never_before_its_due_time()
    {
        var due = TimeSpan.FromMilliseconds(3);
        var fired = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var count = 0;
        var armed = Stopwatch.GetTimestamp();
        using var timer = Time.CreateTimer(_ => { Interlocked.Increment(ref count); fired.TrySetResult(Stopwatch.GetTimestamp()); }, null, due, Timeout.InfiniteTimeSpan);

        Assert.True(await FiredAfter(fired, armed, "a 3 ms timer") >= due, "the timer fired before its due time");
        // A later timer on the same thread fires after anything still queued for the first.
        var later = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var probe = Time.CreateTimer(_ => later.TrySetResult(Stopwatch.GetTimestamp()), null, TimeSpan.FromMilliseconds(5), Timeout.InfiniteTimeSpan);
        await FiredAfter(later, armed, "the probe timer");
        Assert.Equal(1, count);
    }

    [Fact]
    public async Task Timers_due_in_less_than_a_millisecond_fire_in_due_order_and_never_before_their_due_times()
    {
        // Armed while the thread naps for the first: the second is due before that nap ends, the third after it.
        var dues = new[] { TimeSpan.FromMilliseconds(0.6), TimeSpan.FromMilliseconds(0.3), TimeSpan.FromMilliseconds(0.9) };
        var fired = dues.Select(_ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        var armed = new long[dues.Length];
        var timers = new List<ITimer>();
        for (var i = 0; i < dues.Length; i++)
        {
            var index = i;
            armed[i] = Stopwatch.GetTimestamp();
            timers.Add(Time.CreateTimer(_ => fired[index].TrySetResult(Stopwatch.GetTimestamp()), null, dues[i], Timeout.InfiniteTimeSpan));
        }

        for (var i = 0; i < dues.Length; i++)
        {
            Assert.True(await FiredAfter(fired[i], armed[i], $"the {dues[i].TotalMilliseconds} ms timer") >= dues[i], $"the {dues[i].TotalMilliseconds} ms timer fired before its due time");
        }

        foreach (var timer in timers)
        {
            timer.Dispose();
        }
    }

    [Fact]
    public void A_high_resolution_sleep_lasts_at_least_its_duration()
    {
        foreach (var duration in new[] { TimeSpan.Zero, TimeSpan.FromMilliseconds(0.2), TimeSpan.FromMilliseconds(0.7), TimeSpan.FromMilliseconds(1.5) })
        {
            var start = Stopwatch.GetTimestamp();
            HighResolutionSleep.Sleep(duration);
            Assert.True(Stopwatch.GetElapsedTime(start) >= duration, $"a sleep of {duration.TotalMilliseconds} ms returned early");
        }
    }

    [Fact]
    public async Task A_changed_timer_fires_at_its_new_due_time_only_and_a_disposed_one_never()
    {
        // First due times of 45 ms: far enough that the change and the dispose below come before them.
        var first = TimeSpan.FromMilliseconds(45);
        var changedFired = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var changedCount = 0;
        var disposedCount = 0;
        var armed = Stopwatch.GetTimestamp();
        using var changed = Time.CreateTimer(_ => { Interlocked.Increment(ref changedCount); changedFired.TrySetResult(Stopwatch.GetTimestamp()); }, null, first, Timeout.InfiniteTimeSpan);
        var disposed = Time.CreateTimer(_ => Interlocked.Increment(ref disposedCount), null, first, Timeout.InfiniteTimeSpan);
        Assert.True(changed.Change(TimeSpan.FromMilliseconds(5), Timeout.InfiniteTimeSpan));
        disposed.Dispose();
        Assert.False(disposed.Change(TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan), "a disposed timer accepted a change");

        Assert.True(await FiredAfter(changedFired, armed, "the changed timer") >= TimeSpan.FromMilliseconds(5), "the changed timer fired before its new due time");
        // Past the first due time: neither the changed timer's first schedule nor the disposed timer fires.
        var after = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var probe = Time.CreateTimer(_ => after.TrySetResult(Stopwatch.GetTimestamp()), null, first + TimeSpan.FromMilliseconds(4), Timeout.InfiniteTimeSpan);
        await FiredAfter(after, armed, "the probe timer");
        Assert.Equal(1, changedCount);
        Assert.Equal(0, disposedCount);
    }

    [Fact]
    public async Task An_infinite_due_time_waits_until_a_change_and_long_or_periodic_timers_are_the_systems()
    {
        var fired = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var waiting = Time.CreateTimer(_ => fired.TrySetResult(Stopwatch.GetTimestamp()), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var armed = Stopwatch.GetTimestamp();
        waiting.Change(TimeSpan.FromMilliseconds(2), Timeout.InfiniteTimeSpan);
        Assert.True(await FiredAfter(fired, armed, "the timer armed by a change") >= TimeSpan.FromMilliseconds(2));

        using var periodic = Time.CreateTimer(_ => { }, null, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(1));
        using var timeout = Time.CreateTimer(_ => { }, null, PreciseTimeProvider.PreciseBelow, Timeout.InfiniteTimeSpan);
        using var system = TimeProvider.System.CreateTimer(_ => { }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        Assert.Equal(system.GetType(), periodic.GetType());
        Assert.Equal(periodic.GetType(), timeout.GetType());
        Assert.NotEqual(periodic.GetType(), waiting.GetType());
    }
}
