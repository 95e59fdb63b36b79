namespace Resync.Protocol;

/// <summary>
/// A processor's view of the services of the rounds it entered: each round's agreed order, and where each of its services
/// is among this silo's own (none, when the silo lacks it, as during a rolling upgrade). It keeps the last few rounds (a
/// newer round may owe an older one's last activation); a late notice of an older round carries its own list.
/// </summary>
internal sealed class RoundServices(Func<string, int> localIndex)
{
    private const int Kept = 4;
    private readonly SortedDictionary<long, (ImmutableArray<string> Services, int[] Local)> _rounds = [];

    public void Enter(long epoch, ImmutableArray<string> services)
    {
        _rounds[epoch] = (services, [.. services.Select(localIndex)]);
        while (_rounds.Count > Kept)
        {
            _rounds.Remove(_rounds.Keys.First());
        }
    }

    /// <summary>Learns the services of <paramref name="epoch"/> from a notice, unless known (a processor activated anew after its crash).</summary>
    public void Know(long epoch, ImmutableArray<string> services)
    {
        var older = _rounds.Count >= Kept && epoch < _rounds.Keys.First();
        if (!_rounds.ContainsKey(epoch) && !services.IsDefault && !older)
        {
            Enter(epoch, services);
        }
    }

    public bool Knows(long epoch) => _rounds.ContainsKey(epoch);

    /// <summary>How many services the round of <paramref name="epoch"/> has, as kept here or as its notice says.</summary>
    public int Count(long epoch, ImmutableArray<string> notice) => Knows(epoch) ? Of(epoch).Length : notice.IsDefault ? 0 : notice.Length;

    public ImmutableArray<string> Of(long epoch) => _rounds.TryGetValue(epoch, out var round) ? round.Services : [];

    /// <summary>The round's services that this silo has no replica of.</summary>
    public ImmutableArray<string> Lacking(long epoch) =>
        _rounds.TryGetValue(epoch, out var round) ? [.. round.Services.Where((_, i) => round.Local[i] < 0)] : [];

    public bool IsStep(long epoch, int step, string service) =>
        _rounds.TryGetValue(epoch, out var round) && step >= 0 && step < round.Services.Length && round.Services[step] == service;

    public string Service(long epoch, int step) => Of(epoch)[step];

    /// <summary>The position among this silo's services of the service of <paramref name="step"/>, or -1 (no replica here, or no such step).</summary>
    public int LocalIndex(long epoch, int step) =>
        _rounds.TryGetValue(epoch, out var round) && step >= 0 && step < round.Local.Length ? round.Local[step] : -1;
}
