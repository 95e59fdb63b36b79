using Resync.Diagnostics;
using Resync.Protocol;
using Resync.Runtime;

namespace Resync.Engine;

/// <summary>
/// The engine's side (<see cref="IConfigurationCallbacks"/>): what the rounds report (their end, dropped traffic,
/// evictions), and the watchdog and retry that renew a round's epoch, decided by <see cref="RoundSupervisor"/>.
/// </summary>
internal sealed partial class ConfigurationGrain
{
    public async Task<ConfigurationChange> Evict(long epoch, ImmutableArray<string> processors, string reason)
    {
        MembershipRequests.Evicted(processors);
        if (epoch != _ledger.Current.Epoch)
        {
            LogStaleEviction(logger, epoch, _ledger.Current.Epoch, string.Join(" ", processors));
            return new ConfigurationChange(false, _ledger.Current);
        }

        var change = await LeaveAsync(processors, $"evicted {string.Join(" ", processors)}: {reason}");
        if (change.Changed)
        {
            ResyncInstruments.ProcessorsEvicted.Add(processors.Length);
            _supervisor.Evicted(change.Configuration.Epoch, processors);
            LogEvicted(logger, epoch, string.Join(" ", processors), reason, change.Configuration.Epoch);
            if (processors.Any(ProcessorId.IsSilo))
            {
                // Its silo, still active and ready, has no caller to join it again: it is taken back after a while.
                _siloReturn?.Dispose();
                _siloReturn = this.RegisterGrainTimer(
                    () => CommitSilosAsync(_silos, _silos.Admit(_ledger), "evicted silo processors return"),
                    new GrainTimerCreationOptions(Settings.Deadlines.EvictedSiloReturn, Timeout.InfiniteTimeSpan) { Interleave = false });
            }
        }

        return change;
    }

    public async Task OnRoundEnded(RoundSummary summary)
    {
        var end = _supervisor.Ended(summary, _ledger.Current.Epoch, state.State.CompletedEpoch);
        _historyUnsaved = true;
        // A silo that is stopping places nothing: the next epoch is warmed by whichever silo holds this grain next.
        if (end.WarmNext && !shutdown.Leaving.IsCancellationRequested)
        {
            // Their barriers' addresses are resolved on every silo through the silo's own processor (the cache is the silo's).
            ImmutableArray<string> silos = [.. _ledger.Current.Members.Where(ProcessorId.IsSilo)];
            for (var ahead = 1; ahead <= Settings.Rounds.WarmAhead; ahead++)
            {
                var epoch = summary.Epoch + ahead;
                Sequencer(epoch).Warm(silos)
                    .ContinueWith(warm => LogWarmFailed(logger, warm.Exception!, "the silos", epoch), TaskContinuationOptions.OnlyOnFaulted)
                    .Ignore();
            }
        }

        if (summary.FailedService is { } failed)
        {
            ResyncInstruments.ServiceFailures.Add(1, new KeyValuePair<string, object?>("service", failed));
        }

        if (end.NewlyFailing is { } failing)
        {
            ResyncInstruments.FailingServices.Add(1);
            LogServiceFailing(logger, failing, Settings.Rounds.ServiceFailureThreshold, summary.Epoch, summary.AbortReason);
        }

        foreach (var recovered in end.Recovered)
        {
            ResyncInstruments.FailingServices.Add(-1);
            LogServiceRecovered(logger, recovered, summary.Epoch);
        }

        if (end.RetryAfter is { } pause)
        {
            LogRetrying(logger, summary.Epoch, summary.AbortReason, pause.TotalMilliseconds, end.Attempt);
            _retry?.Dispose();
            _retry = this.RegisterGrainTimer(RetryAsync, new GrainTimerCreationOptions(pause, Timeout.InfiniteTimeSpan) { Interleave = false });
        }

        if (end.PersistCompleted)
        {
            state.State.CompletedEpoch = summary.Epoch;
            await state.WriteStateAsync();
        }
    }

    public Task OnDropped(DropCounts counts)
    {
        _supervisor.AddDropped(counts);
        return Task.CompletedTask;
    }

    /// <summary>
    /// The watchdog, and the quiet cluster's round (<see cref="RoundOptions.QuietRound"/>): a round in flight that showed no sign of life for <see cref="RoundOptions.StallTimeout"/>
    /// (or whose sequencer cannot even be asked) is abandoned for a new epoch with the same members. This is
    /// how a round recovers when its sequencer or barrier died with a silo while the membership stayed the same.
    /// </summary>
    private async Task WatchRoundAsync()
    {
        var current = _ledger.Current;
        if (_supervisor.QuietRoundDue(current.Epoch, Settings.Rounds.QuietRound))
        {
            await AdvanceAsync(_ledger.Renewed(), $"no change for {Settings.Rounds.QuietRound}: a quiet cluster's round, which prunes tombstones");
            return;
        }

        if (!_supervisor.Watches(current.Epoch))
        {
            return;
        }

        RoundProgress? progress = null;
        var answered = false;
        try
        {
            progress = await Sequencer(current.Epoch).GetProgress().WaitAsync(Settings.Rounds.StallTimeout / 4, time);
            answered = true;
        }
        catch (Exception)
        {
            // Unreachable this time: the watch counts how long.
        }

        if (_supervisor.Stalled(current.Epoch, progress, answered) && _ledger.Current.Epoch == current.Epoch)
        {
            LogStalled(logger, current.Epoch, progress?.Phase.ToString() ?? "unreachable", progress?.Step ?? -1, progress?.Service, string.Join(" ", progress?.Pending ?? []));
            await AdvanceAsync(_ledger.Renewed(), $"the round of epoch {current.Epoch} stalled");
        }
    }

    /// <summary>A failed round's pause is over: unless another change came first, the epoch is renewed with the same members.</summary>
    private async Task RetryAsync()
    {
        _retry?.Dispose();
        _retry = null;
        var current = _ledger.Current.Epoch;
        if (_supervisor.RetryDue(current))
        {
            await AdvanceAsync(_ledger.Renewed(), $"retry after the round of epoch {current} failed");
        }
    }
}
