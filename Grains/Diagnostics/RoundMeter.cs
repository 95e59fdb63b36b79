namespace Resync.Diagnostics;

/// <summary>
/// The round instruments of <see cref="ResyncInstruments"/> as one sequencer records them. A silo's rehearsal is
/// no round of the deployment: its sequencer records through <see cref="Silent"/>.
/// </summary>
internal sealed class RoundMeter
{
    private readonly bool _records;

    private RoundMeter(bool records) => _records = records;

    public static RoundMeter Recording { get; } = new(true);

    public static RoundMeter Silent { get; } = new(false);

    public void Started()
    {
        if (_records)
        {
            ResyncInstruments.RoundsStarted.Add(1);
        }
    }

    public void BarrierCompleted(TimeSpan wait)
    {
        if (_records)
        {
            ResyncInstruments.BarrierWait.Record(wait.TotalMilliseconds);
        }
    }

    public void StepCompleted(TimeSpan duration)
    {
        if (_records)
        {
            ResyncInstruments.StepDuration.Record(duration.TotalMilliseconds);
        }
    }

    public void Aborted()
    {
        if (_records)
        {
            ResyncInstruments.RoundsAborted.Add(1);
        }
    }

    public void Completed(TimeSpan duration)
    {
        if (_records)
        {
            ResyncInstruments.RoundsCompleted.Add(1);
            ResyncInstruments.RoundDuration.Record(duration.TotalMilliseconds);
        }
    }
}
