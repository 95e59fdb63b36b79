using System.Collections;

namespace Resync.Services;

/// <summary>
/// Read-only views of what a round delivered, projected as they are read instead of copied: every replica
/// reads every member's contributions, so a copy per replica would cost O(N) per replica, O(N^2) per round.
/// </summary>
public static class ContributionLists
{
    /// <summary>The payloads, cast to <typeparamref name="T"/>.</summary>
    public static IReadOnlyList<T> Payloads<T>(this ImmutableArray<Contribution> contributions) =>
        new Projection<T>(contributions, static c => (T)c.Payload);

    /// <summary>The payloads, cast to <typeparamref name="T"/>, each with its sender.</summary>
    public static IReadOnlyList<(string Sender, T Payload)> PayloadsBySender<T>(this ImmutableArray<Contribution> contributions) =>
        new Projection<(string, T)>(contributions, static c => (c.Sender, (T)c.Payload));

    private sealed class Projection<T>(ImmutableArray<Contribution> items, Func<Contribution, T> project) : IReadOnlyList<T>
    {
        public T this[int index] => project(items[index]);

        public int Count => items.Length;

        public IEnumerator<T> GetEnumerator()
        {
            foreach (var item in items)
            {
                yield return project(item);
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
