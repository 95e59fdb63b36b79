using Orleans.GrainDirectory;
using Microsoft.Extensions.DependencyInjection;
using Resync.Diagnostics;
using Resync.Protocol;
using Resync.Runtime;

namespace Resync.Engine;

/// <summary>
/// One per epoch: holds the epoch's <see cref="RoundBarrier"/>, hands a completed barrier (with what its
/// requests carried) to the sequencer, and reports what it drops. A barrier that was never opened (an old
/// epoch's, re-activated by a late request) knows no members, drops everything as stale and deactivates.
/// </summary>
[Orleans.Placement.PreferLocalPlacement, GrainDirectory(GrainDirectoryName = ResyncOptions.DirectoryName)]
internal sealed partial class BarrierGrain(
    IOptions<ResyncOptions> options,
    [FromKeyedServices(ResyncOptions.ClockKey)] TimeProvider time,
    ILogger<BarrierGrain> logger) : Grain, IBarrierGrain
{
    private RoundBarrier? _barrier;
    private IGrainTimer? _unusedWarmth;
    private readonly BarrierTrace _trace = new();

    private long Epoch => this.GetPrimaryKeyLong();

    /// <summary>Marked in the round's trace: a round whose barrier was not warmed ahead, or was lost, shows where it was activated.</summary>
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        ResyncActivities.Mark("resync.barrier.activated", Epoch, -1);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        ResyncActivities.Mark("resync.barrier.deactivated", Epoch, -1);
        return Task.CompletedTask;
    }

    public Task Open(Configuration configuration, int barriers)
    {
        if (configuration.Epoch != Epoch)
        {
            throw new ArgumentException($"Barrier of epoch {Epoch} cannot open for epoch {configuration.Epoch}.", nameof(configuration));
        }

        if (barriers is < 1 or > 1025)
        {
            throw new ArgumentException($"Barrier of epoch {Epoch}: {barriers} is not a number of barriers (1 to 1025).", nameof(barriers));
        }

        _barrier ??= new RoundBarrier(configuration, barriers, time);
        return Task.CompletedTask;
    }

    public async Task<BarrierVerdict> Arrive(BarrierRequest request)
    {
        // Never opened here: an old epoch's barrier, re-activated by a late request, which it refuses and goes.
        LeaveIfNeverOpened();
        var verdict = _barrier?.Arrive(request) ?? BarrierVerdict.Stale;
        ResyncActivities.Mark("resync.barrier.arrival", request.Epoch, request.Step, request.Processor);
        _trace.Arrived(request, verdict);
        switch (verdict)
        {
            case BarrierVerdict.Completed:
                LogCompleted(logger, Epoch, request.Step);
                _trace.Completed(request.Step);
                using (ResyncActivities.Start("resync.barrier.complete", Epoch, request.Step))
                {
                    await GrainFactory.Reference<ISequencerGrain>(Epoch).OnBarrierCompleted(_barrier!.TakeCompletion(request.Step));
                }

                break;
            case BarrierVerdict.Stale or BarrierVerdict.Refused or BarrierVerdict.Duplicate:
                LogDropped(logger, verdict, request.Epoch, request.Step, request.Processor, Epoch);
                await ResyncInstruments.ReportDroppedAsync(GrainFactory, DropCounts.None.Add(verdict));
                break;
        }

        return verdict;
    }

    public Task Close()
    {
        _barrier?.Close();
        _trace.Closed();
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private void LeaveIfNeverOpened()
    {
        if (_barrier is null)
        {
            DeactivateOnIdle();
        }
    }

    public Task<ImmutableArray<string>> GetMissing(int barrier)
    {
        LeaveIfNeverOpened();
        return Task.FromResult(_barrier?.Missing(barrier) ?? []);
    }

    public Task Warm()
    {
        // A warm barrier that is never opened goes, unless its sequencer, kept warm, warms it again first.
        var keep = options.Value.Rounds.WarmKeep * 2;
        if (_unusedWarmth is null)
        {
            _unusedWarmth = this.RegisterGrainTimer(() =>
            {
                LeaveIfNeverOpened();
                return Task.CompletedTask;
            }, new GrainTimerCreationOptions(keep, Timeout.InfiniteTimeSpan));
        }
        else
        {
            _unusedWarmth.Change(keep, Timeout.InfiniteTimeSpan);
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Barrier {Step} of epoch {Epoch} completed.")]
    private static partial void LogCompleted(ILogger logger, long epoch, int step);

    [LoggerMessage(Level = LogLevel.Information, Message = "Barrier dropped a {Verdict} request (epoch {RequestEpoch}, barrier {Step}, processor {Processor}) at the barrier of epoch {Epoch}.")]
    private static partial void LogDropped(ILogger logger, BarrierVerdict verdict, long requestEpoch, int step, string processor, long epoch);
}
