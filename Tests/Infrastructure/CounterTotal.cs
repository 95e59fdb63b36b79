using System.Diagnostics.Metrics;

namespace Resync.Tests.Infrastructure;

/// <summary>The sum of one of the engine's counters (meter "Resync") while this lives; test classes run one at a time, so it is one test's.</summary>
public sealed class CounterTotal : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;

    public CounterTotal(string instrument)
    {
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (published.Meter.Name == "Resync" && published.Name == instrument)
            {
                listener.EnableMeasurementEvents(published);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _total, value));
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public void Dispose() => _listener.Dispose();
}
