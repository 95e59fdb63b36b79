using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Orleans.Hosting;
using Orleans.TestingHost;
using Resync.Diagnostics;
using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Operations;

/// <summary>
/// A round's trace, read through OpenTelemetry's in-memory exporter from three in-process silos with Orleans' activity
/// propagation: one trace per round, a span per step, the barriers' arrivals, and the outcome of a completed, an
/// aborted and an evicting round.
/// </summary>
public sealed class RoundTraceTests(TracedClusterFixture fixture, ITestOutputHelper output) : IClassFixture<TracedClusterFixture>, IAsyncLifetime
{
    private readonly ResyncDriver _driver = new(fixture.Cluster.Client);

    public Task InitializeAsync() => _driver.Reset();

    public Task DisposeAsync()
    {
        ConformanceControl.Reset();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_completed_round_over_three_silos_is_one_trace_with_a_span_per_step_and_every_arrival()
    {
        var configuration = (await _driver.Join("t1", "t2", "t3")).Configuration;
        await _driver.WaitForRound(configuration.Epoch);

        var round = await fixture.RoundSpan(configuration.Epoch);
        Assert.Equal("completed", round.GetTagItem("resync.outcome"));
        Assert.Equal(3, round.GetTagItem("resync.members"));
        Assert.Null(round.Parent);

        string[] stepNames = ["resync.enter", "resync.step", "resync.activate"];
        var children = fixture.Spans(round.TraceId).Where(s => s.ParentSpanId == round.SpanId && stepNames.Contains(s.DisplayName)).OrderBy(s => s.StartTimeUtc).ToList();
        output.WriteLine(string.Join("\n", children.Select(s => $"{s.DisplayName} {s.GetTagItem("resync.service")} {s.Duration.TotalMilliseconds:F2} ms")));
        Assert.Equal(["resync.enter", "resync.step", "resync.step", "resync.step", "resync.activate"], children.Select(s => s.DisplayName));
        var steps = children.Where(s => s.DisplayName == "resync.step").ToList();
        Assert.Equal(ResyncTestSilo.Services, steps.Select(s => (string)s.GetTagItem("resync.service")!));
        Assert.All(steps, s => Assert.NotNull(s.GetTagItem("resync.barrier_wait_ms")));

        // Every barrier (the enter barrier and one per step) counts every member's arrival, in the round's trace.
        var barriers = fixture.Spans(round.TraceId).Where(s => s.DisplayName == "resync.barrier").OrderBy(s => (int)s.GetTagItem("resync.step")!).ToList();
        Assert.Equal([0, 1, 2, 3], barriers.Select(b => (int)b.GetTagItem("resync.step")!));
        Assert.All(barriers, b => Assert.Equal(
            configuration.Members.Order(StringComparer.Ordinal),
            b.Events.Where(e => e.Name == "resync.arrival").Select(e => (string)e.Tags.Single(t => t.Key == "resync.processor").Value!).Order(StringComparer.Ordinal)));

        // The members' work, on whichever silo each processor lives, carried the trace there.
        var runs = fixture.Spans(round.TraceId).Where(s => s.DisplayName == "resync.replica.run").ToList();
        Assert.Equal(configuration.Members.Length * ResyncTestSilo.Services.Length, runs.Count);
    }

    [Fact]
    public async Task A_superseded_round_ends_its_trace_aborted_with_the_reason()
    {
        var settled = (await _driver.Join("t1", "t2")).Configuration;
        await _driver.WaitForRound(settled.Epoch);
        var hold = ConformanceControl.HoldAt("process", "conf-b", "t2");
        var held = (await _driver.Join("t3")).Configuration;
        await ResyncDriver.Reached(hold, "t2 processing conf-b");
        var next = (await _driver.Join("t4")).Configuration;
        hold.Release();
        await _driver.WaitForRound(next.Epoch);

        var round = await fixture.RoundSpan(held.Epoch);
        Assert.Equal("aborted", round.GetTagItem("resync.outcome"));
        Assert.Contains("epoch", (string)round.GetTagItem("resync.abort_reason")!);
        Assert.NotEqual(ActivityStatusCode.Error, round.Status);
        var stopped = fixture.Spans(round.TraceId).Single(s => s.ParentSpanId == round.SpanId && s.GetTagItem("resync.outcome") is not null);
        Assert.Equal("conf-b", stopped.GetTagItem("resync.service"));
        Assert.Equal("completed", (await fixture.RoundSpan(next.Epoch)).GetTagItem("resync.outcome"));
    }

    [Fact]
    public async Task A_step_past_its_deadline_records_the_deadline_and_the_eviction_on_its_span()
    {
        var settled = (await _driver.Join("t1", "t2")).Configuration;
        await _driver.WaitForRound(settled.Epoch);
        var hold = ConformanceControl.HoldAt("process", "conf-b", "t2", stubborn: true);
        var held = (await _driver.Join("t3")).Configuration;
        await ResyncDriver.Reached(hold, "t2 processing conf-b");
        var without = await _driver.WaitForStatus(s => s.Configuration.Epoch > held.Epoch && !s.Configuration.Members.Contains("t2"), "t2 evicted at the step deadline");
        hold.Release();
        await _driver.WaitForRound(without.Configuration.Epoch);

        var round = await fixture.RoundSpan(held.Epoch);
        var step = fixture.Spans(round.TraceId).Single(s => s.DisplayName == "resync.step" && (string?)s.GetTagItem("resync.service") == "conf-b");
        var deadline = step.Events.First(e => e.Name == "resync.deadline_passed");
        Assert.Equal("t2", deadline.Tags.Single(t => t.Key == "resync.waiting").Value);
        var eviction = step.Events.Single(e => e.Name == "resync.eviction");
        Assert.Equal("t2", eviction.Tags.Single(t => t.Key == "resync.processors").Value);
        Assert.Equal("aborted", round.GetTagItem("resync.outcome"));
        Assert.Equal(["t2"], (await _driver.Configuration.GetHistory()).Single(h => h.Epoch == without.Configuration.Epoch).Evicted.ToArray());
    }
}

/// <summary>Three in-process silos with short deadlines and Orleans' activity propagation, and an in-memory exporter of their spans.</summary>
public sealed class TracedClusterFixture : IAsyncLifetime
{
    private readonly LockedList _exported = new();
    private TracerProvider? _tracing;

    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _tracing = Sdk.CreateTracerProviderBuilder()
            .AddSource(ResyncDiagnostics.ActivitySourceName, "Microsoft.Orleans.Application")
            .AddInMemoryExporter(_exported)
            .Build();
        var builder = FreshCluster.Builder(3);
        builder.Properties[ResyncTestSilo.ShortDeadlines] = "true";
        builder.AddSiloBuilderConfigurator<TracedSilo>();
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>The spans of one trace exported so far.</summary>
    public IReadOnlyList<Activity> Spans(ActivityTraceId trace)
    {
        lock (_exported)
        {
            return [.. _exported.Where(s => s.TraceId == trace)];
        }
    }

    /// <summary>Waits, bounded, for the span of the round of <paramref name="epoch"/> to end; the failure names the epoch.</summary>
    public async Task<Activity> RoundSpan(long epoch)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            lock (_exported)
            {
                if (_exported.FirstOrDefault(s => s.DisplayName == "resync.round" && s.GetTagItem("resync.epoch") is long e && e == epoch) is { } round)
                {
                    return round;
                }
            }

            _tracing!.ForceFlush(100);
            await Task.Delay(20);
        }

        throw new TimeoutException($"the round of epoch {epoch} exported no resync.round span within 10 s");
    }

    public async Task DisposeAsync()
    {
        ConformanceControl.Reset();
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        _tracing?.Dispose();
    }

    /// <summary>What the in-memory exporter fills, from the silos' threads, while a test reads it under the same lock.</summary>
    private sealed class LockedList : System.Collections.ObjectModel.Collection<Activity>
    {
        protected override void InsertItem(int index, Activity item)
        {
            lock (this)
            {
                base.InsertItem(index, item);
            }
        }
    }

    public sealed class TracedSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            new ResyncTestSilo().Configure(siloBuilder);
            siloBuilder.AddActivityPropagation();
        }
    }
}
