using Resync.Protocol;
using Resync.Runtime;

namespace Resync.Engine;

/// <summary>The silos' side (<see cref="IConfigurationMembership"/>): their proposals, arrivals and departures, decided by <see cref="SiloBook"/>.</summary>
internal sealed partial class ConfigurationGrain
{
    public Task<ConfigurationChange> ProposeSilos(long membershipVersion, ImmutableArray<string> siloProcessors, ImmutableArray<string> departedSilos)
    {
        if (_silos.IsStale(membershipVersion))
        {
            LogStaleSiloProposal(logger, membershipVersion, _silos.MembershipVersion);
            return Task.FromResult(new ConfigurationChange(false, _ledger.Current));
        }

        MembershipRequests.Proposal(siloProcessors, departedSilos);
        var (book, departed) = _silos.Propose(membershipVersion, siloProcessors, departedSilos);
        var next = book.Admit(_ledger);
        if (next is null && !departed.IsEmpty && _ledger.Current.Members.Any(m => !ProcessorId.IsSilo(m)))
        {
            return CommitSilosAsync(book, _ledger.Renewed(), $"silo {string.Join(" ", departed)} left the cluster with the replicas of the logical processors it hosted");
        }

        return CommitSilosAsync(book, next, $"silo membership version {membershipVersion}");
    }

    public Task<RoundSummary> Rehearse(string siloProcessor)
    {
        // Interleaved, and reading only the catalog of services: it places the rehearsal's conductor on this silo.
        var rehearsal = Rehearsal.Of(MembershipRequests.Silo(siloProcessor, nameof(siloProcessor)));
        return Sequencer(rehearsal.Epoch).Rehearse(rehearsal, RoundServices());
    }

    public async Task AnnounceServices(string silo, ImmutableArray<string> services)
    {
        ArgumentException.ThrowIfNullOrEmpty(silo);
        ServiceCatalog.Validate(services, nameof(services));

        var live = LiveCatalogEntries().Where(e => e.Silo != silo);
        ImmutableArray<SiloServiceList> catalog =
            [.. live.Append(new SiloServiceList { Silo = silo, Services = services, AnnouncedAt = time.GetUtcNow() }).OrderBy(e => e.Silo, StringComparer.Ordinal)];
        if (!catalog.Select(e => (e.Silo, string.Join(",", e.Services))).SequenceEqual(state.State.SiloServices.Select(e => (e.Silo, string.Join(",", e.Services)))))
        {
            await PersistAsync(catalog, s => s.SiloServices, (s, entries) => s.SiloServices = entries);
            LogServicesAnnounced(logger, silo, string.Join(", ", services), string.Join(", ", RoundServices()));
        }
    }

    /// <summary>The services of the next round: the union of the live silos' services, in the order they agree on.</summary>
    private ImmutableArray<string> RoundServices() => ServiceCatalog.Order(LiveCatalog().Values);

    /// <summary>The services of each live silo that announced them, and this silo's own (it is live, announced or not).</summary>
    private ImmutableDictionary<string, ImmutableArray<string>> LiveCatalog() =>
        LiveCatalogEntries().ToImmutableDictionary(e => e.Silo, e => e.Services, StringComparer.Ordinal)
            .SetItem(silo.SiloAddress.ToParsableString(), services.Names);

    /// <summary>
    /// The announcements of silos that this silo's membership view has and does not hold dead, and of silos it does not
    /// have yet that announced within <see cref="SiloOptions.DepartureWait"/> (a silo that just started may be too new
    /// for the view): a silo that left, or that the membership table forgot, no longer counts.
    /// </summary>
    private IEnumerable<SiloServiceList> LiveCatalogEntries()
    {
        var members = membership.CurrentSnapshot.Members.Values.ToDictionary(m => m.SiloAddress.ToParsableString(), m => m.Status);
        var recent = time.GetUtcNow() - Settings.Silos.DepartureWait;
        return state.State.SiloServices.Where(e => members.TryGetValue(e.Silo, out var status) ? status != SiloStatus.Dead : e.AnnouncedAt >= recent);
    }

    public async Task<ConfigurationChange> SiloReady(string siloProcessor)
    {
        MembershipRequests.Silo(siloProcessor, nameof(siloProcessor));
        // Before the round that takes it in: this silo resolves its processor, and its silo the next epoch's barrier.
        try
        {
            await Sequencer(_ledger.Current.Epoch + 1).Warm([siloProcessor]).WaitAsync(Settings.Notices.Timeout, time);
        }
        catch (Exception exception)
        {
            LogWarmFailed(logger, exception, $"silo processor {siloProcessor}", _ledger.Current.Epoch + 1);
        }

        return await MarkSiloAsync(siloProcessor, static (a, p) => a.MarkReady(p), "ready");
    }

    public Task<ConfigurationChange> SiloStopping(string siloProcessor) => MarkSiloAsync(siloProcessor, static (a, p) => a.MarkStopping(p), "stopping");

    private Task<ConfigurationChange> MarkSiloAsync(string siloProcessor, Action<SiloAdmission, string> mark, string what)
    {
        var book = _silos.With(mark, MembershipRequests.Silo(siloProcessor, nameof(siloProcessor)));
        return CommitSilosAsync(book, book.Admit(_ledger), $"silo processor {siloProcessor} {what}");
    }

    /// <summary>
    /// Keeps <paramref name="book"/> once it is persisted: with <paramref name="next"/> when the silos change the
    /// configuration, else alone. A write that fails keeps the old book, so that the silo's retry is not stale.
    /// </summary>
    private async Task<ConfigurationChange> CommitSilosAsync(SiloBook book, Configuration? next, string reason)
    {
        Record(book);
        try
        {
            ConfigurationChange change;
            if (next is null)
            {
                await state.WriteStateAsync();
                change = new ConfigurationChange(false, _ledger.Current);
            }
            else
            {
                change = await ChangeAsync(next, reason);
            }

            _silos = book;
            return change;
        }
        catch
        {
            Record(_silos);
            throw;
        }
    }

    private void Record(SiloBook book)
    {
        state.State.SiloMembershipVersion = book.MembershipVersion;
        state.State.ActiveSilos = [.. book.Admission.Active];
        state.State.ReadySilos = [.. book.Admission.Ready];
        state.State.DepartedSilos = [.. book.Admission.Departed];
    }
}
