namespace Resync.Protocol;

/// <summary>
/// A processor's view of the services of the rounds it entered: each round's agreed order, and where each of its services
/// is among this silo's own (none, when the silo lacks it, as during a rolling upgrade). It keeps the last few rounds (a
/// newer round may owe an older one's last activation); a late notice of an older round carries its own list.
/// </summary>
internal sealed class RoundServices(Func<string, int> localIndex)
{
    private const int Kept = 4;

    // The kept rounds, oldest first. Rounds follow each other over the same services, so a round whose list is the newest
    // kept round's shares that round's view: a notice costs a comparison of the lists, not a new view.
    private readonly List<(long Epoch, View View)> _rounds = new(Kept + 1);

    public void Enter(long epoch, ImmutableArray<string> services)
    {
        var at = _rounds.Count;
        while (at > 0 && _rounds[at - 1].Epoch >= epoch)
        {
            at--;
        }

        if (at < _rounds.Count && _rounds[at].Epoch == epoch)
        {
            _rounds[at] = (epoch, ViewOf(services));
            return;
        }

        _rounds.Insert(at, (epoch, ViewOf(services)));
        if (_rounds.Count > Kept)
        {
            _rounds.RemoveAt(0);
        }
    }

    /// <summary>Learns the services of <paramref name="epoch"/> from a notice, unless known (a processor activated anew after its crash).</summary>
    public void Know(long epoch, ImmutableArray<string> services)
    {
        var older = _rounds.Count >= Kept && epoch < _rounds[0].Epoch;
        if (!Knows(epoch) && !services.IsDefault && !older)
        {
            Enter(epoch, services);
        }
    }

    public bool Knows(long epoch) => Find(epoch) is not null;

    /// <summary>How many services the round of <paramref name="epoch"/> has, as kept here or as its notice says.</summary>
    public int Count(long epoch, ImmutableArray<string> notice) => Find(epoch) is { } view ? view.Services.Length : notice.IsDefault ? 0 : notice.Length;

    public ImmutableArray<string> Of(long epoch) => Find(epoch)?.Services ?? [];

    /// <summary>The round's services that this silo has no replica of.</summary>
    public ImmutableArray<string> Lacking(long epoch) => Find(epoch)?.Lacking ?? [];

    public bool IsStep(long epoch, int step, string service) =>
        Find(epoch) is { } view && step >= 0 && step < view.Services.Length && view.Services[step] == service;

    public string Service(long epoch, int step) => Of(epoch)[step];

    /// <summary>The position among this silo's services of the service of <paramref name="step"/>, or -1 (no replica here, or no such step).</summary>
    public int LocalIndex(long epoch, int step) =>
        Find(epoch) is { } view && step >= 0 && step < view.Local.Length ? view.Local[step] : -1;

    private View? Find(long epoch)
    {
        foreach (var (kept, view) in _rounds)
        {
            if (kept == epoch)
            {
                return view;
            }
        }

        return null;
    }

    private View ViewOf(ImmutableArray<string> services)
    {
        if (_rounds.Count > 0 && _rounds[^1].View.Services.AsSpan().SequenceEqual(services.AsSpan()))
        {
            return _rounds[^1].View;
        }

        int[] local = [.. services.Select(localIndex)];
        return new View(services, local, [.. services.Where((_, i) => local[i] < 0)]);
    }

    private sealed record View(ImmutableArray<string> Services, int[] Local, ImmutableArray<string> Lacking);
}
