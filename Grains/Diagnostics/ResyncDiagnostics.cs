namespace Resync.Diagnostics;

/// <summary>The names to subscribe to for Resync's telemetry, with OpenTelemetry's AddMeter and AddSource or a listener of one's own.</summary>
public static class ResyncDiagnostics
{
    /// <summary>The meter of the rounds, steps, barrier waits, evictions and dropped traffic ("Resync").</summary>
    public const string MeterName = "Resync";

    /// <summary>
    /// The activity source of the rounds' traces ("Resync"): a root span per round ("resync.round"), a span per step
    /// ("resync.step"), the barriers with an event per arrival ("resync.barrier"), and the hops on each silo. Add
    /// Orleans' "Microsoft.Orleans.Application" source and activity propagation for a round over silos to be one trace.
    /// </summary>
    public const string ActivitySourceName = "Resync";
}
