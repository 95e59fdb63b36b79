using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Resync.Runtime;

/// <summary>
/// A sleep shorter than a millisecond, which .NET's own waits cannot take (they count whole milliseconds):
/// on Linux <c>nanosleep</c>, which the kernel serves from its high-resolution timers (within about 0.1 ms
/// here); elsewhere the whole milliseconds that cover it.
/// </summary>
internal static class HighResolutionSleep
{
    public static bool IsSupported { get; } = OperatingSystem.IsLinux();

    /// <summary>Sleeps at least <paramref name="duration"/>.</summary>
    public static void Sleep(TimeSpan duration)
    {
        var start = Stopwatch.GetTimestamp();
        // A signal ends a nanosleep early: sleep again for what is left.
        for (var left = duration; left > TimeSpan.Zero; left = duration - Stopwatch.GetElapsedTime(start))
        {
            if (IsSupported)
            {
                var request = new TimeSpec(left.Ticks / TimeSpan.TicksPerSecond, left.Ticks % TimeSpan.TicksPerSecond * 100);
                _ = NanoSleep(in request, IntPtr.Zero);
            }
            else
            {
                Thread.Sleep((int)Math.Ceiling(left.TotalMilliseconds));
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct TimeSpec(long Seconds, long Nanoseconds);

    [DllImport("libc", EntryPoint = "nanosleep")]
    private static extern int NanoSleep(in TimeSpec request, IntPtr remaining);
}
