using Resync.Protocol;

namespace Resync.Engine;

/// <summary>How a round ends: failed by its own fault or the cluster's, or finished; reported once, and its grains go.</summary>
internal sealed partial class SequencerGrain
{
    private async Task FailAsync(Round round, string reason, RoundFailure failure)
    {
        if (round.Abort(reason, failure))
        {
            await _roundOver.CancelAsync();
            TryEnd(round);
        }
    }

    /// <summary>The round's end is reported once, when it is over: aborted, or completed on every member still waited for.</summary>
    private void TryEnd(Round round)
    {
        if (_ending || !(round.Phase == RoundPhase.Aborted || round.TryFinish()))
        {
            return;
        }

        _ending = true;
        _ = EndAsync(round);
    }

    /// <summary>
    /// Reports the outcome, closes the barrier, and tells the members of an aborted round in the background: the
    /// report does not wait for them (a member that is gone never answers), only this activation's end does, bounded.
    /// </summary>
    private async Task EndAsync(Round round)
    {
        var summary = round.Summary();
        _trace.End(summary);
        var told = Task.CompletedTask;
        if (round.Phase == RoundPhase.Aborted)
        {
            Meter.Aborted();
            LogRoundAborted(logger, Epoch, round.Step, round.Service, round.AbortReason);
            told = Task.WhenAll(round.Configuration.Members.Select(member => Processor(member).Abort(Epoch, round.Services)));
        }
        else
        {
            Meter.Completed(summary.Duration);
            LogRoundCompleted(logger, Epoch, summary.Duration.TotalMilliseconds);
        }

        await _roundOver.CancelAsync();
        await Barrier.Close();
        if (_rehearsal is { } rehearsal)
        {
            // No configuration's round: only the silo that rehearses hears how it went.
            rehearsal.TrySetResult(summary);
        }
        else
        {
            await GrainFactory.GetGrain<IConfigurationCallbacks>(IConfigurationGrain.Key).OnRoundEnded(summary);
        }

        try
        {
            await told.WaitAsync(options.Value.Notices.AbortTimeout, time);
        }
        catch (Exception exception)
        {
            LogAbortIncomplete(logger, exception, Epoch, options.Value.Notices.AbortTimeout.TotalMilliseconds);
        }

        DeactivateOnIdle();
    }
}
