namespace Resync.Protocol;

/// <summary>
/// Gating of client writes to one replica (contract item 8). Closing the gate stops new writes and
/// completes once the writes in flight have finished; a write that meets a closed gate waits, bounded,
/// for it to open again, then fails with <see cref="RecoveryInProgressException"/>.
/// Single-threaded by design: the owning grain's scheduler serializes every call.
/// </summary>
internal sealed class WriteGate(TimeProvider time)
{
    private TaskCompletionSource _opened = NewSignal(completed: true);
    private TaskCompletionSource? _drained;
    private int _inFlight;

    public bool IsClosed => !_opened.Task.IsCompleted;

    public int InFlight => _inFlight;

    /// <summary>Closes the gate; the task completes when no write is in flight.</summary>
    public Task CloseAsync()
    {
        if (!IsClosed)
        {
            _opened = NewSignal(completed: false);
        }

        if (_inFlight == 0)
        {
            return Task.CompletedTask;
        }

        _drained ??= NewSignal(completed: false);
        return _drained.Task;
    }

    public void Open() => _opened.TrySetResult();

    /// <summary>
    /// Admits one write, waiting at most <paramref name="timeout"/> for a closed gate to open.
    /// Dispose the result when the write has finished.
    /// </summary>
    public async ValueTask<IDisposable> EnterAsync(TimeSpan timeout, Func<Exception> onTimeout)
    {
        while (IsClosed)
        {
            try
            {
                await _opened.Task.WaitAsync(timeout, time);
            }
            catch (TimeoutException)
            {
                throw onTimeout();
            }
        }

        _inFlight++;
        return new Admission(this);
    }

    private void Leave()
    {
        Debug.Assert(_inFlight > 0, "a write left that never entered");
        if (--_inFlight == 0 && _drained is { } drained)
        {
            _drained = null;
            drained.TrySetResult();
        }
    }

    private static TaskCompletionSource NewSignal(bool completed)
    {
        var signal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            signal.SetResult();
        }

        return signal;
    }

    private sealed class Admission(WriteGate gate) : IDisposable
    {
        private WriteGate? _gate = gate;

        public void Dispose() => Interlocked.Exchange(ref _gate, null)?.Leave();
    }
}
