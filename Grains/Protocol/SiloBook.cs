namespace Resync.Protocol;

/// <summary>
/// What the configuration grain knows of the silos: the newest Orleans membership version it applied and the
/// admission of their processors (<see cref="SiloAdmission"/>). A change makes a new book and leaves this one as
/// it was, so that the grain keeps the new one only once it is persisted.
/// </summary>
internal sealed class SiloBook(long membershipVersion, SiloAdmission admission)
{
    public long MembershipVersion { get; } = membershipVersion;

    public SiloAdmission Admission { get; } = admission;

    /// <summary>A proposal of a version not newer than the one applied comes late, or twice: it changes nothing.</summary>
    public bool IsStale(long version) => version <= MembershipVersion;

    /// <summary>The book after the proposal of <paramref name="version"/>, and which of <paramref name="departed"/> left for the first time.</summary>
    public (SiloBook Book, ImmutableArray<string> NewlyDeparted) Propose(long version, IEnumerable<string> active, IEnumerable<string> departed)
    {
        var admission = Admission.Copy();
        admission.Propose(active);
        var newlyDeparted = admission.NewlyDeparted(departed);
        return (new SiloBook(version, admission), newlyDeparted);
    }

    /// <summary>The book after a silo said it is ready (or stopping): <paramref name="mark"/> applied to a copy of the admission.</summary>
    public SiloBook With(Action<SiloAdmission, string> mark, string siloProcessor)
    {
        var admission = Admission.Copy();
        mark(admission, siloProcessor);
        return new SiloBook(MembershipVersion, admission);
    }

    /// <summary>The configuration with the silo processors this book admits, or null when that changes nothing.</summary>
    public Configuration? Admit(ConfigurationLedger ledger) => ledger.WithSilos(Admission.Admitted(ledger.Current));
}
