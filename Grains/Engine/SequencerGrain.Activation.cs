using Resync.Protocol;
using Resync.Runtime;

namespace Resync.Engine;

/// <summary>The activation's life around its round: deactivation, the warm-up ahead of the epoch, signs of life, progress, and its references.</summary>
internal sealed partial class SequencerGrain
{
    /// <summary>
    /// A round cannot outlive its sequencer: when the activation goes (its silo stops), the round ends here,
    /// which stops its loop and watchdog and fails the gatherings still waiting in its mailbox. The
    /// configuration's watchdog renews a round that stopped this way.
    /// </summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_round?.Abort($"its sequencer was deactivated: {reason.Description}", RoundFailure.Cluster) == true)
        {
            LogDeactivatedInFlight(logger, Epoch, _round.Step, _round.Service, reason.Description);
            await _roundOver.CancelAsync();
            _trace.End(_round.Summary());
            _rehearsal?.TrySetResult(_round.Summary());
        }
    }

    public async Task Warm(ImmutableArray<string> members)
    {
        // The barrier first, placed beside this sequencer: a member's look-up then finds it instead of placing it.
        await Barrier.Warm();
        _unusedWarmth ??= this.RegisterGrainTimer(KeepWarmAsync, new GrainTimerCreationOptions(options.Value.Rounds.WarmKeep, options.Value.Rounds.WarmKeep));
        if (!members.IsDefault)
        {
            await Task.WhenAll(members.Select(member => Processor(member).Expect(Epoch))).WaitAsync(options.Value.Notices.Timeout, time);
        }
    }

    /// <summary>
    /// Every <see cref="RoundOptions.WarmKeep"/> of a warm-up: stays (and keeps its barrier) while the epoch is still to
    /// come within <see cref="RoundOptions.WarmAhead"/>, and goes when it was passed, or when this warm-up reached a new
    /// activation after the epoch's round had run and gone (messages racing to create an activation may be reordered).
    /// </summary>
    private async Task KeepWarmAsync()
    {
        if (_round is not null || _abortedBeforeStart is not null)
        {
            _unusedWarmth?.Dispose();
            return;
        }

        var current = await GrainFactory.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key).GetConfiguration();
        if (Epoch > current.Epoch && Epoch - current.Epoch <= options.Value.Rounds.WarmAhead)
        {
            await Barrier.Warm();
        }
        else
        {
            LeaveIfRoundless();
        }
    }

    public Task OnActivity(long epoch)
    {
        if (epoch == Epoch && _round is not null)
        {
            _round.Touch();
        }
        else
        {
            LeaveIfRoundless();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// A late message (a sign of life, a fetch, a post, a progress query) re-activates an epoch whose round ended here:
    /// refused as stale, and the activation goes again instead of waiting for the collector.
    /// </summary>
    private void LeaveIfRoundless()
    {
        if (_round is null && _abortedBeforeStart is null)
        {
            DeactivateOnIdle();
        }
    }

    public async Task<RoundProgress?> GetProgress()
    {
        if (_round is null)
        {
            // The watchdog asks while the round's end is on its way to it: this is a fresh activation.
            LeaveIfRoundless();
            return null;
        }

        ImmutableArray<string> missing = [];
        if (_round.NextBarrier is { } barrier)
        {
            missing = await Barrier.GetMissing(barrier);
            _round.ObserveBarrierMissing(missing.Length);
        }

        return _round.Progress(missing);
    }

    private IBarrierGrain Barrier => _barrier ??= GrainFactory.Reference<IBarrierGrain>(Epoch);

    // Kept: every member gets a notice per step, and one more at the end.
    private IProcessorGrain Processor(string id)
    {
        if (!_processors.TryGetValue(id, out var processor))
        {
            _processors[id] = processor = GrainFactory.Reference<IProcessorGrain>(id);
        }

        return processor;
    }
}
