using System.Collections.Concurrent;
using Resync.Replicas;

namespace Resync.Testing;

/// <summary>
/// The kit's observer on its test silos: it logs every replica callback of every silo of the process in one order, notes
/// any two callbacks of one replica that overlap, and holds the next callback that matches a hold until it is released or
/// the round is aborted, so that a scenario can put a round in the phase it wants.
/// </summary>
internal sealed class CallbackRecorder : IReplicaObserver
{
    private readonly ConcurrentQueue<CallbackEntry> _entries = new();
    private readonly ConcurrentQueue<string> _overlaps = new();
    private readonly ConcurrentDictionary<(string Service, string Processor), int> _running = new();
    private readonly Lock _holdLock = new();
    private Hold? _hold;
    private long _sequence;

    public long Mark() => Interlocked.Read(ref _sequence);

    public ImmutableArray<CallbackEntry> Since(long mark) => [.. _entries.Where(e => e.Sequence > mark).OrderBy(e => e.Sequence)];

    public ImmutableArray<string> Overlaps => [.. _overlaps];

    /// <summary>Holds the next <paramref name="callback"/> of <paramref name="service"/> on <paramref name="processor"/>; the result completes once one is held.</summary>
    public Hold HoldNext(string service, string processor, string callback)
    {
        lock (_holdLock)
        {
            _hold?.Release();
            return _hold = new Hold(service, processor, callback);
        }
    }

    public async ValueTask<IDisposable> EnterAsync(ReplicaCallback callback, CancellationToken cancellationToken)
    {
        var replica = (callback.Service, callback.Processor);
        if (_running.AddOrUpdate(replica, 1, (_, count) => count + 1) > 1)
        {
            _overlaps.Enqueue($"{callback.Name} of epoch {callback.Epoch} on {callback.Service}@{callback.Processor} began while another callback of that replica ran");
        }

        _entries.Enqueue(new CallbackEntry(Interlocked.Increment(ref _sequence), callback.Service, callback.Processor, callback.Name, callback.Epoch, callback.Step));
        Hold? hold;
        lock (_holdLock)
        {
            hold = _hold is { } h && h.Matches(callback) ? h : null;
            if (hold is not null)
            {
                _hold = null;
            }
        }

        if (hold is not null)
        {
            await hold.HeldAsync(callback.Epoch, cancellationToken);
        }

        return new Exit(this, replica);
    }

    /// <summary>A callback held before it runs, until <see cref="Release"/> or the round's abort.</summary>
    internal sealed class Hold(string service, string processor, string callbackName)
    {
        private readonly TaskCompletionSource<long> _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes with the held callback's epoch.</summary>
        public Task<long> Held => _held.Task;

        public void Release() => _released.TrySetResult();

        public bool Matches(ReplicaCallback callback) => callback.Service == service && callback.Processor == processor && callback.Name == callbackName;

        public async Task HeldAsync(long epoch, CancellationToken cancellationToken)
        {
            _held.TrySetResult(epoch);
            try
            {
                await _released.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                // The round was aborted: the callback goes on, and the engine discards what it does.
            }
        }
    }

    private sealed class Exit(CallbackRecorder recorder, (string, string) replica) : IDisposable
    {
        public void Dispose() => recorder._running.AddOrUpdate(replica, 0, (_, count) => count - 1);
    }
}
