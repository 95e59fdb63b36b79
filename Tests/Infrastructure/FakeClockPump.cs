using Microsoft.Extensions.Time.Testing;

namespace Resync.Tests.Infrastructure;

/// <summary>Drives code that waits on a fake clock: advances it step by step until the code is done.</summary>
internal static class FakeClockPump
{
    /// <summary>
    /// Advances <paramref name="clock"/> by <paramref name="step"/> until <paramref name="task"/> completes, at most
    /// <paramref name="steps"/> times, or fails naming what was <paramref name="expected"/>. After each advance the
    /// thread pool gets a moment to run what it released: a loop that only yields can use up its steps before a
    /// continuation of the code runs, on a machine busy with other tests.
    /// </summary>
    public static async Task RunAsync(FakeTimeProvider clock, Task task, TimeSpan step, int steps, string expected)
    {
        for (var tick = 0; !task.IsCompleted; tick++)
        {
            Assert.True(tick < steps, $"not done within {(step * tick).TotalMilliseconds} ms of fake time: expected {expected}");
            clock.Advance(step);
            await Task.WhenAny(task, Task.Delay(1));
        }

        await task;
    }
}
