namespace Resync.Protocol;

/// <summary>
/// The bookkeeping of one epoch's barrier (contract item 3). A step completes when every member has
/// sent its request for it. A request for another epoch, from a non-member, for a step the round does
/// not have, or after the round closed is dropped and counted; a duplicate is harmless.
/// </summary>
internal sealed class RoundBarrier
{
    private readonly Configuration _configuration;
    private readonly HashSet<string>[] _arrived;
    private bool _closed;

    public RoundBarrier(Configuration configuration, int steps)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        _configuration = configuration;
        _arrived = new HashSet<string>[steps];
        for (var step = 0; step < steps; step++)
        {
            _arrived[step] = new HashSet<string>(configuration.Members.Length, StringComparer.Ordinal);
        }
    }

    public long Epoch => _configuration.Epoch;

    public int Steps => _arrived.Length;

    public DropCounts Dropped { get; private set; } = DropCounts.None;

    public BarrierVerdict Arrive(BarrierRequest request)
    {
        var verdict = Judge(request);
        Dropped = Dropped.Add(verdict);
        return verdict;
    }

    public bool IsComplete(int step) => _arrived[step].Count == _configuration.Members.Length;

    public ImmutableArray<string> Missing(int step) =>
        step < 0 || step >= Steps
            ? []
            : _configuration.Members.Where(member => !_arrived[step].Contains(member)).ToImmutableArray();

    public void Close() => _closed = true;

    private BarrierVerdict Judge(BarrierRequest request)
    {
        if (request.Epoch != Epoch || _closed)
        {
            return BarrierVerdict.Stale;
        }

        // Bound-check the step before indexing: an out-of-range step was a crash in 2010.
        if (request.Step < 0 || request.Step >= Steps || !_configuration.IsMember(request.Processor))
        {
            return BarrierVerdict.Refused;
        }

        if (!_arrived[request.Step].Add(request.Processor))
        {
            return BarrierVerdict.Duplicate;
        }

        return IsComplete(request.Step) ? BarrierVerdict.Completed : BarrierVerdict.Accepted;
    }
}
