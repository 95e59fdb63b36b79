using System.Collections.Concurrent;

namespace Resync.Tests.Conformance;

/// <summary>How conformance replicas behave: how many times process answers more, how slow it is, where it throws.</summary>
public sealed record ConformanceBehaviour(int MoreCount = 0, TimeSpan ProcessDelay = default, string? ThrowIn = null, string? ThrowService = null)
{
    public static ConformanceBehaviour Default { get; } = new();
}

/// <summary>
/// A point where conformance replicas stop until released: a callback ("init", "process", "activate",
/// "abort", "write") of a service, on one processor or on all. <see cref="Reached"/> completes when the first
/// replica arrives; <see cref="Release"/> lets every waiting replica go on and disarms the hold. A replica
/// waiting at a hold also goes on when its round is aborted.
/// </summary>
public sealed class Hold(string callback, string service, string? processor)
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrivals;

    public Task Reached => _reached.Task;

    public int Arrivals => Volatile.Read(ref _arrivals);

    public bool IsArmed => !_released.Task.IsCompleted;

    public bool Matches(string callback1, string service1, string processor1) =>
        IsArmed && callback1 == callback && service1 == service && (processor is null || processor == processor1);

    /// <summary>A stubborn hold ignores the round's cancellation, as a callback that never looks at its token would.</summary>
    public bool Stubborn { get; init; }

    public async Task PassAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _arrivals);
        _reached.TrySetResult();
        await (Stubborn ? _released.Task : _released.Task.WaitAsync(cancellationToken));
    }

    public void Release() => _released.TrySetResult();

    public override string ToString() => $"hold at {callback} of {service} on {processor ?? "every processor"}";
}

/// <summary>The test's controls over the conformance replicas of the in-process silos.</summary>
public static class ConformanceControl
{
    private static readonly ConcurrentDictionary<Hold, byte> Holds = new();

    public static ConformanceBehaviour Behaviour { get; set; } = ConformanceBehaviour.Default;

    public static Hold HoldAt(string callback, string service, string? processor = null, bool stubborn = false)
    {
        var hold = new Hold(callback, service, processor) { Stubborn = stubborn };
        Holds[hold] = 0;
        return hold;
    }

    public static async Task PassAsync(string callback, string service, string processor, CancellationToken cancellationToken)
    {
        foreach (var hold in Holds.Keys)
        {
            if (hold.Matches(callback, service, processor))
            {
                await hold.PassAsync(cancellationToken);
            }
            else if (!hold.IsArmed)
            {
                Holds.TryRemove(hold, out _);
            }
        }
    }

    public static void Reset()
    {
        foreach (var hold in Holds.Keys)
        {
            hold.Release();
        }

        Holds.Clear();
        Behaviour = ConformanceBehaviour.Default;
    }
}
