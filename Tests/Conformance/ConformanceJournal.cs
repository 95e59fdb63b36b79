using System.Collections.Concurrent;
using Resync.Testing;

namespace Resync.Tests.Conformance;

/// <summary>
/// Every callback of every conformance replica of every in-process silo, in one global order: the
/// test's spy, like the log of corosync's test agent. It outlives a replica's crash on purpose.
/// </summary>
public static class ConformanceJournal
{
    private static readonly ConcurrentQueue<CallbackEntry> Entries = new();
    private static long _sequence;

    public static void Record(string service, string processor, string callback, long epoch, int step) =>
        Entries.Enqueue(new CallbackEntry(Interlocked.Increment(ref _sequence), service, processor, callback, epoch, step));

    public static ImmutableArray<CallbackEntry> Snapshot() => [.. Entries.OrderBy(e => e.Sequence)];

    public static long Mark() => Interlocked.Read(ref _sequence);

    public static ImmutableArray<CallbackEntry> Since(long mark) => [.. Snapshot().Where(e => e.Sequence > mark)];

    private static readonly ConcurrentQueue<string> OverlapsSeen = new();

    /// <summary>A callback of a replica began while another callback of the same replica was running: never legal.</summary>
    public static void RecordOverlap(string overlap) => OverlapsSeen.Enqueue(overlap);

    public static ImmutableArray<string> Overlaps => [.. OverlapsSeen];
}
