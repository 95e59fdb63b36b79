namespace Resync.Diagnostics;

/// <summary>
/// The engine's trace source ("Resync"): the hops of a round on each silo (a notice received, a replica's activation
/// and run, a barrier request, a barrier's arrivals and completion, the sequencer's notices and barrier waits), each
/// tagged with its epoch, step or barrier, and processor. Nothing is recorded unless a listener subscribes.
/// </summary>
internal static class ResyncActivities
{
    public const string SourceName = ResyncDiagnostics.ActivitySourceName;

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts a hop, or returns null when nobody listens.</summary>
    public static Activity? Start(string name, long epoch, int step, string? processor = null)
    {
        var activity = Source.StartActivity(name, ActivityKind.Internal);
        if (activity is not null)
        {
            activity.SetTag("resync.epoch", epoch);
            activity.SetTag("resync.step", step);
            if (processor is not null)
            {
                activity.SetTag("resync.processor", processor);
            }
        }

        return activity;
    }

    /// <summary>A hop that is a moment (a message received): started and stopped at once.</summary>
    public static void Mark(string name, long epoch, int step, string? processor = null) => Start(name, epoch, step, processor)?.Dispose();
}
