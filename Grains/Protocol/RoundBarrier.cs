namespace Resync.Protocol;

/// <summary>
/// The bookkeeping of one epoch's barriers (contract item 3), one per step and a last one that ends the round.
/// A barrier completes when every member has sent its request for it; the requests' freight (what the replicas
/// sent, their process calls) is kept until then and handed over with the completion. A request for another
/// epoch, after the round closed, from a non-member or for a barrier the round does not have is dropped and
/// counted; a duplicate is harmless, and its freight (a repeat of the first's) is not kept twice.
/// </summary>
internal sealed class RoundBarrier
{
    private readonly Configuration _configuration;
    private readonly TimeProvider _time;
    private readonly Arrivals[] _barriers;
    private bool _closed;

    public RoundBarrier(Configuration configuration, int barriers, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(barriers);
        _configuration = configuration;
        _time = time;
        _barriers = new Arrivals[barriers];
        for (var barrier = 0; barrier < barriers; barrier++)
        {
            _barriers[barrier] = new Arrivals(configuration.Members.Length);
        }
    }

    public long Epoch => _configuration.Epoch;

    public int Barriers => _barriers.Length;

    public DropCounts Dropped { get; private set; } = DropCounts.None;

    public BarrierVerdict Arrive(BarrierRequest request)
    {
        var verdict = Judge(request);
        Dropped = Dropped.Add(verdict);
        return verdict;
    }

    public bool IsComplete(int barrier) => _barriers[barrier].Members.Count == _configuration.Members.Length;

    public ImmutableArray<string> Missing(int barrier) =>
        barrier < 0 || barrier >= Barriers
            ? []
            : _configuration.Members.Where(member => !_barriers[barrier].Members.Contains(member)).ToImmutableArray();

    /// <summary>What the requests of a completed barrier carried; taken once, the freight is let go.</summary>
    public BarrierCompletion TakeCompletion(int barrier)
    {
        if (!IsComplete(barrier))
        {
            throw new InvalidOperationException($"Epoch {Epoch}: barrier {barrier} is not complete; missing {string.Join(" ", Missing(barrier))}.");
        }

        var arrivals = _barriers[barrier];
        var completion = new BarrierCompletion(Epoch, barrier, arrivals.Carried.ToImmutable(), arrivals.ProcessCalls, _time.GetElapsedTime(arrivals.First, arrivals.Last))
        {
            Lacking = arrivals.Lacking.GroupBy(l => l.Service, StringComparer.Ordinal)
                .ToImmutableDictionary(g => g.Key, g => g.Select(l => l.Processor).Order(StringComparer.Ordinal).ToImmutableArray(), StringComparer.Ordinal),
        };
        arrivals.Carried.Clear();
        return completion;
    }

    public void Close() => _closed = true;

    private BarrierVerdict Judge(BarrierRequest request)
    {
        if (request.Epoch != Epoch || _closed)
        {
            return BarrierVerdict.Stale;
        }

        // Bound-check the barrier before indexing: an out-of-range step was a crash in 2010.
        if (request.Step < 0 || request.Step >= Barriers || !_configuration.IsMember(request.Processor))
        {
            return BarrierVerdict.Refused;
        }

        var arrivals = _barriers[request.Step];
        if (!arrivals.Members.Add(request.Processor))
        {
            return BarrierVerdict.Duplicate;
        }

        var now = _time.GetTimestamp();
        if (arrivals.Members.Count == 1)
        {
            arrivals.First = now;
        }

        arrivals.Last = now;
        if (!request.Sent.IsDefaultOrEmpty)
        {
            arrivals.Carried.AddRange(request.Sent);
        }

        arrivals.ProcessCalls += request.ProcessCalls;
        foreach (var service in request.Lacks.IsDefault ? [] : request.Lacks)
        {
            arrivals.Lacking.Add((service, request.Processor));
        }

        return IsComplete(request.Step) ? BarrierVerdict.Completed : BarrierVerdict.Accepted;
    }

    private sealed class Arrivals(int members)
    {
        public HashSet<string> Members { get; } = new(members, StringComparer.Ordinal);

        public ImmutableArray<Contribution>.Builder Carried { get; } = ImmutableArray.CreateBuilder<Contribution>();

        public long ProcessCalls { get; set; }

        public List<(string Service, string Processor)> Lacking { get; } = [];

        public long First { get; set; }

        public long Last { get; set; }
    }
}
