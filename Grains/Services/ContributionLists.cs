using System.Collections;

namespace Resync.Services;

/// <summary>
/// Read-only views of what a round delivered, projected as they are read instead of copied: every replica
/// reads every member's contributions, so a copy per replica would cost O(N) per replica, O(N^2) per round.
/// </summary>
internal static class ContributionLists
{
    /// <summary>The payloads, cast to <typeparamref name="T"/>, each with its sender.</summary>
    public static IReadOnlyList<(string Sender, T Payload)> PayloadsBySender<T>(this ImmutableArray<Contribution> contributions) =>
        new Projection<Contribution, (string, T)>(contributions, static c => (c.Sender, (T)c.Payload));

    /// <summary><paramref name="items"/>, each projected by <paramref name="project"/> as it is read.</summary>
    public static IReadOnlyList<TOut> Projected<TIn, TOut>(this IReadOnlyList<TIn> items, Func<TIn, TOut> project) =>
        new Projection<TIn, TOut>(items, project);

    private sealed class Projection<TIn, T>(IReadOnlyList<TIn> items, Func<TIn, T> project) : IReadOnlyList<T>
    {
        public T this[int index] => project(items[index]);

        public int Count => items.Count;

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
