namespace Resync.Protocol;

/// <summary>
/// Consecutive failed rounds per service. A service that fails <c>threshold</c> times in a row is failing
/// until a round completes; the other services keep serving their last activated state meanwhile, because
/// an aborted round activates nothing.
/// </summary>
internal sealed class ServiceFailures(int threshold)
{
    private readonly SortedDictionary<string, ServiceHealth> _failures = new(StringComparer.Ordinal);

    /// <summary>Counts a failed round of <paramref name="service"/>; true when this failure makes it failing.</summary>
    public bool Record(string service, string error)
    {
        var failures = (_failures.TryGetValue(service, out var health) ? health.Failures : 0) + 1;
        _failures[service] = new ServiceHealth(service, failures, error, failures >= threshold);
        return failures == threshold;
    }

    /// <summary>A round completed: every service synchronized, none is failing.</summary>
    public void RoundCompleted() => _failures.Clear();

    public ImmutableArray<ServiceHealth> Current => [.. _failures.Values];
}
