using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Cluster;

/// <summary>At any moment one can ask which epoch, step and service, who is pending, how long each step took (item 10).</summary>
[Collection(ClusterCollection.Name)]
public sealed class StatusTests(ResyncClusterFixture fixture) : ClusterTest(fixture)
{

    [Fact]
    public async Task Status_shows_the_epoch_members_phase_step_service_pending_processors_and_step_durations()
    {
        var settled = (await Driver.Join("p1", "p2", "p3")).Configuration;
        await Driver.WaitForRound(settled.Epoch);
        var hold = ConformanceControl.HoldAt("process", "conf-b", "p2");
        var current = (await Driver.Join("p4")).Configuration;

        var status = await Driver.WaitForStatus(
            s => s.Round is { Phase: RoundPhase.Processing, Step: 1 } r && r.Epoch == current.Epoch && r.Pending.SequenceEqual(["p2"]),
            "conf-b waits for p2");

        Assert.Equal(current, status.Configuration);
        Assert.Equal(ResyncTestSilo.Services.ToArray(), status.Services.ToArray());
        var round = status.Round!;
        Assert.Equal((1, "conf-b"), (round.Step, round.Service));
        var first = Assert.Single(round.Steps);
        Assert.Equal("conf-a", first.Service);
        Assert.True(first.BarrierWait > TimeSpan.Zero && first.Processing > TimeSpan.Zero);

        hold.Release();
        await Driver.WaitForRound(current.Epoch);
        var done = (await Driver.Status()).Round!;
        Assert.Equal(RoundPhase.Completed, done.Phase);
        Assert.Equal(ResyncTestSilo.Services.ToArray(), done.Steps.Select(s => s.Service).ToArray());
        Assert.Empty(done.Pending);
    }

    [Fact]
    public async Task Metrics_count_rounds_started_completed_and_aborted_and_record_step_durations_and_barrier_waits()
    {
        var seen = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Resync")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((i, value, _, _) => seen.AddOrUpdate(i.Name, value, (_, v) => v + value));
        listener.SetMeasurementEventCallback<double>((i, _, _, _) => seen.AddOrUpdate(i.Name, 1, (_, v) => v + 1));
        listener.Start();

        var hold = ConformanceControl.HoldAt("process", "conf-a");
        await Driver.Join("m1", "m2");
        await ResyncDriver.Reached(hold, "conf-a processing");
        var final = (await Driver.Join("m3")).Configuration;
        hold.Release();
        await Driver.WaitForRound(final.Epoch);

        Assert.Equal(2, seen.GetValueOrDefault("resync.rounds.started"));
        Assert.Equal(1, seen.GetValueOrDefault("resync.rounds.aborted"));
        Assert.Equal(1, seen.GetValueOrDefault("resync.rounds.completed"));
        Assert.Equal(1, seen.GetValueOrDefault("resync.round.duration"));
        Assert.Equal(ResyncTestSilo.Services.Length, seen.GetValueOrDefault("resync.step.duration"));
        Assert.True(seen.GetValueOrDefault("resync.barrier.wait") >= ResyncTestSilo.Services.Length);
    }
}
