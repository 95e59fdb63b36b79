using Resync.Diagnostics;
using Resync.Protocol;
using Resync.Runtime;

namespace Resync.Engine;

/// <summary>The processor's checks of what it is told (a notice's verdict, a step's and a member's validity) and its references.</summary>
internal sealed partial class ProcessorGrain
{
    private async ValueTask<bool> AcceptAsync(NoticeVerdict verdict, string notice, long epoch, int step)
    {
        if (verdict == NoticeVerdict.Apply)
        {
            return true;
        }

        LogNoticeDropped(logger, verdict, notice, epoch, step, Id, _progress.Epoch);
        await ResyncInstruments.ReportDroppedAsync(GrainFactory, DropCounts.None.Add(verdict == NoticeVerdict.Stale ? BarrierVerdict.Stale : BarrierVerdict.Duplicate));
        return false;
    }

    /// <summary>Refuses a notice without its deliveries, a step that is not the round's, or a configuration this processor is not in.</summary>
    private void Validate(RoundStep step, Delivery? received)
    {
        if (received is null || received.First.IsDefault || received.Length < received.First.Length || received.Batches < 1)
        {
            throw new ArgumentException($"Epoch {step.Epoch}: a notice must carry its (possibly empty) deliveries.", nameof(received));
        }

        // A late notice of a round no longer kept here is judged by its own list, then counted late by its epoch (item 7).
        _rounds.Know(step.Epoch, step.Services);
        var services = _rounds.Knows(step.Epoch) ? _rounds.Of(step.Epoch) : step.Services.IsDefault ? [] : step.Services;
        if (step.Step < 0 || step.Step >= services.Length || services[step.Step] != step.Service)
        {
            throw new ArgumentException($"Epoch {step.Epoch}: step {step.Step} ({step.Service}) is not a step of that round's services [{string.Join(", ", services)}].", nameof(step));
        }

        ValidateMember(step.Configuration);
    }

    private void ValidateMember(Configuration configuration)
    {
        if (!configuration.IsMember(Id))
        {
            throw new ArgumentException($"Epoch {configuration.Epoch}: processor {Id} is not a member of that configuration.", nameof(configuration));
        }
    }

    // Kept for the round: every step sends a request.
    private IBarrierGrain Barrier(long epoch)
    {
        if (_barrier?.GetPrimaryKeyLong() != epoch)
        {
            _barrier = GrainFactory.Reference<IBarrierGrain>(epoch);
        }

        return _barrier;
    }

    private ISequencerGrain Sequencer(long epoch) => GrainFactory.Reference<ISequencerGrain>(epoch);

    private IInboxGrain Inbox => _inbox ??= GrainFactory.Reference<IInboxGrain>(Id);

    /// <summary>This silo's replica of the service of <paramref name="step"/> in the round of <paramref name="epoch"/>, or null if it has none.</summary>
    private ISyncReplica? ReplicaIn(long epoch, int step) => _rounds.LocalIndex(epoch, step) is var local and >= 0 ? Replica(local) : null;

    private ISyncReplica Replica(int local) => _replicas[local] ??= services.Replica(GrainFactory, local, Id);
}
