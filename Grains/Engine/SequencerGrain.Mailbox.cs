using Resync.Diagnostics;
using Resync.Protocol;


namespace Resync.Engine;

/// <summary>
/// The round's mailbox (<see cref="ExchangeMailbox"/>, held by the <see cref="Round"/>): long transfers post ahead,
/// gatherings inside process meet, and members fetch the rest of a delivery that did not fit in its notice.
/// </summary>
internal sealed partial class SequencerGrain
{
    public Task<Delivery?> FetchFinal(string member)
    {
        // Asked between the last barrier and the final notices too: the deliveries are those the notices carry.
        var index = _round is { Phase: RoundPhase.Activating } round ? round.Configuration.Members.IndexOf(member) : -1;
        return Task.FromResult(index >= 0 ? Deliveries(_round!, _round!.Services.Length - 1).Notice(index) : null);
    }

    public async Task Post(ImmutableArray<Contribution> contributions)
    {
        if (contributions.IsDefault)
        {
            throw new ArgumentException("No contributions to post.", nameof(contributions));
        }

        var round = await RoundOrStaleAsync($"Contributions posted to epoch {Epoch}");
        var before = round.Dropped;
        round.Post(contributions);
        await ReportDroppedAsync(round, before);
    }

    public async Task<Delivery> Gather(string phase, Contribution contribution)
    {
        var round = await RoundOrStaleAsync($"Contribution of {contribution.Sender} for epoch {contribution.Epoch} ({contribution.Service})");
        var step = round.Step;
        var before = round.Dropped;
        var gathering = round.Gather(phase, contribution);
        ResyncActivities.Mark("resync.sequencer.gather", Epoch, step, contribution.Sender);
        await ReportDroppedAsync(round, before);
        // A gathering waits for every member; it must not hold a silo that stops, which waits for its requests.
        return Gathered.Notice(step, phase, await gathering.WaitAsync(shutdown.Begun));
    }

    public async Task<ImmutableArray<Contribution>> FetchGathered(int step, string phase, int batch)
    {
        await RoundOrStaleAsync($"A fetch of what was gathered under '{phase}' in step {step}");
        return Gathered.Fetch(step, phase, batch);
    }

    public async Task<ImmutableArray<Contribution>> Fetch(int step, string member, int batch)
    {
        await RoundOrStaleAsync($"A fetch of step {step}'s delivery to {member}");
        return _deliveries is { } deliveries
            ? deliveries.Fetch(step, member, batch)
            : throw new ArgumentException($"Epoch {Epoch} keeps no deliveries: no step has been delivered yet.");
    }

    private GatheringBatches Gathered => _gathered ??= new GatheringBatches(options.Value.Transfer.DeliveryBatchBytes);

    /// <summary>The round that round traffic belongs to; without one (never started here), the traffic is stale: counted and refused.</summary>
    private async Task<Round> RoundOrStaleAsync(string traffic)
    {
        if (_round is { } round)
        {
            return round;
        }

        LeaveIfRoundless();
        await ResyncInstruments.ReportDroppedAsync(GrainFactory, DropCounts.None.Add(BarrierVerdict.Stale));
        throw new ArgumentException($"{traffic} is stale: epoch {Epoch} has no round here.");
    }

    private Task ReportDroppedAsync(Round round, DropCounts before) =>
        ResyncInstruments.ReportDroppedAsync(GrainFactory, round.Dropped.Since(before));
}
