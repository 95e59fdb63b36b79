namespace Resync.Protocol;

/// <summary>
/// Which silo processors a configuration takes in. A silo becomes a processor once it is active in the
/// Orleans membership and has said it is ready: its processor and replicas are activated, so the round that
/// takes it in does not wait for a process that is still starting (measured on three silo processes: the
/// joining silo's first barrier took 120-450 ms of a 280-660 ms round). A silo processor that is already a
/// member stays while its silo is active, ready or not.
/// </summary>
internal sealed class SiloAdmission(IEnumerable<string> active, IEnumerable<string> ready, IEnumerable<string>? departed = null)
{
    /// <summary>How many departed silos are remembered: far more than can depart between two reports of one departure.</summary>
    public const int DepartedKept = 64;

    private ImmutableSortedSet<string> _active = active.ToImmutableSortedSet(StringComparer.Ordinal);
    private ImmutableSortedSet<string> _ready = ready.ToImmutableSortedSet(StringComparer.Ordinal);
    private ImmutableArray<string> _departed = [.. (departed ?? []).TakeLast(DepartedKept)];

    /// <summary>The silo processors of the active silos, as of the newest membership proposal.</summary>
    public ImmutableSortedSet<string> Active => _active;

    /// <summary>Active silo processors that said they are ready.</summary>
    public ImmutableSortedSet<string> Ready => _ready;

    /// <summary>A newer membership proposal: a silo that is no longer active is forgotten, also as ready.</summary>
    public void Propose(IEnumerable<string> activeSilos)
    {
        _active = activeSilos.ToImmutableSortedSet(StringComparer.Ordinal);
        _ready = _ready.Intersect(_active);
    }

    public SiloAdmission Copy() => new(_active, _ready, _departed);

    /// <summary>The newest departed silos, oldest first (at most <see cref="DepartedKept"/>).</summary>
    public IEnumerable<string> Departed => _departed;

    /// <summary>
    /// Of <paramref name="departedSilos"/>, those whose departure is news, which are remembered. Every silo's
    /// proposals report the silos that left since its own previous proposal, so one departure can come twice
    /// (one silo saw it at the membership version where the silo stopped, another only at the next one),
    /// and renewing the epoch for it twice would abort the first renewal's round for nothing. A silo
    /// processor names one incarnation of a silo (its address and generation): a silo that restarts is another.
    /// </summary>
    public ImmutableArray<string> NewlyDeparted(IEnumerable<string> departedSilos)
    {
        var news = departedSilos.Distinct(StringComparer.Ordinal).Where(silo => !_departed.Contains(silo)).ToImmutableArray();
        _departed = [.. _departed.AddRange(news).TakeLast(DepartedKept)];
        return news;
    }

    /// <summary>
    /// A silo says it is ready. It may do so before a proposal shows it active (proposals and announcements
    /// race); it is admitted when both hold.
    /// </summary>
    public void MarkReady(string siloProcessor) => _ready = _ready.Add(siloProcessor);

    /// <summary>
    /// A silo says it is stopping: it leaves now, before the membership shows it, and a later proposal that
    /// still lists it active does not take it back (it is neither ready nor, once this is applied, a member).
    /// </summary>
    public void MarkStopping(string siloProcessor)
    {
        _ready = _ready.Remove(siloProcessor);
        _active = _active.Remove(siloProcessor);
    }

    /// <summary>The silo processors the configuration should have, given its current <paramref name="members"/>.</summary>
    public IEnumerable<string> Admitted(Configuration members) =>
        _active.Where(silo => _ready.Contains(silo) || members.IsMember(silo));
}
