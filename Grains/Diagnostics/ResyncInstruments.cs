using System.Diagnostics.Metrics;

namespace Resync.Diagnostics;

/// <summary>The engine's <see cref="System.Diagnostics.Metrics"/> instruments (meter "Resync").</summary>
internal static class ResyncInstruments
{
    public const string MeterName = ResyncDiagnostics.MeterName;

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> RoundsStarted =
        Meter.CreateCounter<long>("resync.rounds.started", description: "Rounds started, one per accepted configuration.");

    public static readonly Counter<long> RoundsCompleted =
        Meter.CreateCounter<long>("resync.rounds.completed", description: "Rounds in which every service was activated on every member.");

    public static readonly Counter<long> RoundsAborted =
        Meter.CreateCounter<long>("resync.rounds.aborted", description: "Rounds superseded by a newer configuration or failed.");

    public static readonly Histogram<double> RoundDuration =
        Meter.CreateHistogram<double>("resync.round.duration", unit: "ms", description: "From the round's start to the last activation on the last member.");

    public static readonly Histogram<double> StepDuration =
        Meter.CreateHistogram<double>("resync.step.duration", unit: "ms", description: "One step: barrier wait plus init and process on every member.");

    public static readonly Histogram<double> BarrierWait =
        Meter.CreateHistogram<double>("resync.barrier.wait", unit: "ms", description: "From a step's notice to its barrier's completion.");

    public static readonly Counter<long> ContributionsForwarded =
        Meter.CreateCounter<long>("resync.exchange.forwarded", description: "Large addressed contributions that went straight to their recipients' inboxes, one per recipient (tag 'service').");

    public static readonly Counter<long> StepsOverdue =
        Meter.CreateCounter<long>("resync.steps.overdue", description: "Phases of a step that ran past the step deadline (tag 'service').");

    public static readonly Counter<long> ProcessorsEvicted =
        Meter.CreateCounter<long>("resync.processors.evicted", description: "Processors removed from the configuration for missing a step deadline.");

    public static readonly Counter<long> ServiceFailures =
        Meter.CreateCounter<long>("resync.service.failures", description: "Rounds that failed in a service (tag 'service').");

    public static readonly UpDownCounter<long> FailingServices =
        Meter.CreateUpDownCounter<long>("resync.services.failing", description: "Services that failed ServiceFailureThreshold rounds in a row.");

    public static readonly Counter<long> TombstonesPruned =
        Meter.CreateCounter<long>("resync.tombstones.pruned", description: "Tombstones a replica dropped at a round's activation, each replica counting its own: deletions past their retention, or held only by a replica that missed a pruning (tag 'service').");

    public static readonly Counter<long> Dropped =
        Meter.CreateCounter<long>("resync.traffic.dropped", description: "Barrier requests and round traffic dropped: stale, refused or duplicate (tag 'kind').");

    /// <summary>Counts the tombstones a replica of <paramref name="service"/> dropped at an activation.</summary>
    public static void RecordPruned(string service, int tombstones)
    {
        if (tombstones > 0)
        {
            TombstonesPruned.Add(tombstones, new KeyValuePair<string, object?>("service", service));
        }
    }

    /// <summary>Counts dropped traffic here and reports it, one-way, to the configuration grain's status.</summary>
    public static Task ReportDroppedAsync(IGrainFactory grains, DropCounts counts)
    {
        if (counts == DropCounts.None)
        {
            return Task.CompletedTask;
        }

        RecordDropped(counts);
        return grains.GetGrain<IConfigurationCallbacks>(IConfigurationGrain.Key).OnDropped(counts);
    }

    private static void RecordDropped(DropCounts counts)
    {
        if (counts.Stale > 0) Dropped.Add(counts.Stale, new KeyValuePair<string, object?>("kind", "stale"));
        if (counts.Refused > 0) Dropped.Add(counts.Refused, new KeyValuePair<string, object?>("kind", "refused"));
        if (counts.Duplicate > 0) Dropped.Add(counts.Duplicate, new KeyValuePair<string, object?>("kind", "duplicate"));
    }
}
