using Resync.Diagnostics;
using Resync.Protocol;
using Resync.Runtime;

namespace Resync.Engine;

/// <summary>The round's deadlines (contract item 9), decided by <see cref="RoundDeadlines"/>: the grain asks who is missing and evicts.</summary>
internal sealed partial class SequencerGrain
{
    /// <summary>
    /// Contract item 9: a step that runs past <see cref="DeadlineOptions.Step"/> is reported with the processors it
    /// waits for, which are evicted under <see cref="SlowProcessorPolicy.Evict"/>; a round that runs past
    /// <see cref="DeadlineOptions.Round"/> before its last barrier fails and is retried under a new epoch. A callback
    /// that never returns therefore cannot hold the engine.
    /// </summary>
    private async Task WatchDeadlinesAsync(Round round)
    {
        // What the deadlines start (a question to the barrier, an eviction) belongs to the round's trace.
        Activity.Current = _trace.Root;
        var settings = options.Value;
        var deadlines = new RoundDeadlines(settings.Deadlines.Step, settings.Deadlines.Round);
        var check = TimeSpan.FromTicks(Math.Max(settings.Deadlines.Step.Ticks / 4, TimeSpan.TicksPerMillisecond));
        while (!round.IsOver)
        {
            try
            {
                await Task.Delay(check, time, _roundOver.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            switch (deadlines.Check(round))
            {
                case DeadlineVerdict.StepOverdue:
                    await OnStepOverdueAsync(round, settings);
                    break;
                case DeadlineVerdict.RoundOverdue:
                    LogRoundOverdue(logger, Epoch, round.Step, round.Service, settings.Deadlines.Round.TotalSeconds);
                    await FailAsync(round, $"round deadline of {settings.Deadlines.Round.TotalSeconds:0.###} s passed at step {round.Step} ({round.Service}), {round.Phase}", RoundFailure.Service);
                    return;
            }
        }
    }

    private async Task OnStepOverdueAsync(Round round, ResyncOptions settings)
    {
        var (step, phase, barrier) = (round.Step, round.Phase, round.NextBarrier);
        ImmutableArray<string> waiting;
        try
        {
            waiting = barrier is { } next
                ? await Barrier.GetMissing(next).WaitAsync(settings.Notices.Timeout, time)
                : [.. round.Pending.Order(StringComparer.Ordinal)];
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogDeadlineActionFailed(logger, exception, Epoch, step, "ask the barrier who is missing");
            return;
        }

        if (round.IsOver || round.Step != step || round.Phase != phase || waiting.IsEmpty)
        {
            return;
        }

        ResyncInstruments.StepsOverdue.Add(1, new KeyValuePair<string, object?>("service", round.Service));
        _trace.DeadlinePassed(step, round.Service, phase, waiting, round.PhaseElapsed);
        LogStepOverdue(logger, Epoch, step, round.Service, phase, round.PhaseElapsed.TotalMilliseconds, string.Join(" ", waiting), settings.Deadlines.SlowProcessors);
        var evictable = RoundDeadlines.ToEvict(waiting, round.Configuration, settings.Deadlines.SlowProcessors == SlowProcessorPolicy.Evict, rehearsal: _rehearsal is not null);
        if (!evictable.IsEmpty)
        {
            var reason = $"missed the deadline of step {step} ({round.Service}), {phase}";
            _trace.Evicting(evictable, reason);
            try
            {
                await GrainFactory.GetGrain<IConfigurationCallbacks>(IConfigurationGrain.Key)
                    .Evict(Epoch, evictable, reason)
                    .WaitAsync(settings.Notices.Timeout, time);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                // The next deadline reports them again.
                LogDeadlineActionFailed(logger, exception, Epoch, step, "ask the configuration to evict");
            }
        }
    }
}
