namespace Resync.Runtime;

/// <summary>
/// A one-shot timer of a grain that keeps millisecond time. Orleans' grain timers keep the kernel's coarse time
/// (see <see cref="PreciseTimeProvider"/>), so the engine's clock fires the timer and only opens the door: a grain
/// timer that runs <paramref name="callback"/> as a turn of the grain, like any message, never beside one.
/// </summary>
internal sealed class PreciseGrainTimer(IGrainBase grain, Func<Task> callback, TimeProvider time) : IDisposable
{
    private readonly TimeProvider _clock = time == TimeProvider.System ? PreciseTimeProvider.Instance : time;
    private IGrainTimer? _door;
    private ITimer? _timer;

    /// <summary>(Re)arms the timer: <paramref name="due"/> from now, the callback runs once.</summary>
    public void Arm(TimeSpan due)
    {
        _door ??= grain.RegisterGrainTimer(callback, new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan) { Interleave = false });
        _timer?.Dispose();
        _timer = _clock.CreateTimer(static door => Open((IGrainTimer)door!), _door, due, Timeout.InfiniteTimeSpan);
    }

    public void Dispose() => _timer?.Dispose();

    private static void Open(IGrainTimer door)
    {
        try
        {
            door.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The grain deactivated meanwhile; its next activation resumes what the timer was for.
        }
    }
}
