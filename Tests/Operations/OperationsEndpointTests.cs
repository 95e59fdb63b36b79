using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Operations;

/// <summary>The silo's HTTP endpoints, over HTTP: health in each state the embedded silo can show, metrics, the dashboard's data, bad requests.</summary>
[Collection(OperationsCollection.Name)]
public sealed partial class OperationsEndpointTests(OperationsFixture fixture) : IAsyncLifetime
{
    private HttpClient Http => fixture.Http;

    public Task InitializeAsync() => fixture.Driver.Reset();

    public Task DisposeAsync()
    {
        ConformanceControl.Reset();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Liveness_answers_while_the_silo_runs()
    {
        var (code, body) = await GetJson("/health/live");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Contains("Active", body.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Readiness_follows_the_round_ready_after_it_completed_and_degraded_while_one_waits_at_a_callback()
    {
        var settled = (await fixture.Driver.Join("h1", "h2")).Configuration;
        await fixture.Driver.WaitForRound(settled.Epoch);
        var (code, body) = await GetJson("/health/ready");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Equal(settled.Epoch, body.GetProperty("checks").GetProperty("resync").GetProperty("data").GetProperty("epoch").GetInt64());

        var hold = ConformanceControl.HoldAt("process", "conf-b", "h2");
        var held = (await fixture.Driver.Join("h3")).Configuration;
        await ResyncDriver.Reached(hold, "h2 processing conf-b");
        await fixture.Driver.WaitForStatus(s => s.Round is { Pending: ["h2"] }, "the barrier waiting for h2 alone");
        (code, body) = await GetJson("/health/ready");
        hold.Release();
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal("Degraded", body.GetProperty("status").GetString());
        Assert.Equal($"epoch {settled.Epoch} completed; epoch {held.Epoch}: round in flight at step 1 (conf-b), Processing, waiting for h2", body.GetProperty("reason").GetString());
        await fixture.Driver.WaitForRound(held.Epoch);
    }

    [Fact]
    public async Task Readiness_is_refused_with_503_and_the_reason_while_a_service_is_failing()
    {
        ConformanceControl.Behaviour = ConformanceControl.Behaviour with { ThrowIn = "init", ThrowService = "conf-a" };
        await fixture.Driver.Join("h4");
        await fixture.Driver.WaitForStatus(s => s.ServiceFailures.Any(f => f.Failing), "conf-a failing after its rounds threw in init");
        var (code, body) = await GetJson("/health/ready");
        ConformanceControl.Behaviour = ConformanceBehaviour.Default;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, code);
        Assert.Equal("Unhealthy", body.GetProperty("status").GetString());
        Assert.StartsWith("service conf-a is failing", body.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Metrics_are_scrapeable_and_the_rounds_counter_moves_after_a_round()
    {
        var before = await RoundsCompleted();
        var configuration = (await fixture.Driver.Join("m1")).Configuration;
        await fixture.Driver.WaitForRound(configuration.Epoch);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var after = before;
        while (after <= before && DateTime.UtcNow < deadline)
        {
            // The exporter caches a scrape for a moment; a later scrape shows the round.
            await Task.Delay(100);
            after = await RoundsCompleted();
        }

        Assert.True(after > before, $"resync_rounds_completed stayed at {before} after the round of epoch {configuration.Epoch}");
    }

    [Fact]
    public async Task The_dashboards_snapshot_shows_the_configuration_and_its_round_by_service()
    {
        var configuration = (await fixture.Driver.Join("d1", "d2")).Configuration;
        await fixture.Driver.WaitForRound(configuration.Epoch);
        var (code, body) = await GetJson("/dashboard/api/snapshot?history=5");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.Equal(configuration.Epoch, body.GetProperty("epoch").GetInt64());
        Assert.Equal(["d1", "d2"], body.GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        var round = body.GetProperty("round");
        Assert.Equal("Completed", round.GetProperty("phase").GetString());
        Assert.Equal(["conf-a", "conf-b", "conf-c"], round.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("service").GetString()));
        Assert.InRange(body.GetProperty("history").GetArrayLength(), 1, 5);
    }

    [Fact]
    public async Task The_dashboards_live_feed_sends_a_snapshot_as_a_server_sent_event()
    {
        using var response = await Http.GetAsync("/dashboard/api/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.Equal("event: snapshot", await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        var data = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.StartsWith("data: {", data);
        Assert.True(JsonDocument.Parse(data!["data: ".Length..]).RootElement.TryGetProperty("epoch", out _));
    }

    [Theory]
    [InlineData("/dashboard/api/snapshot?history=0")]
    [InlineData("/dashboard/api/snapshot?history=many")]
    [InlineData("/dashboard/api/events?history=501")]
    public async Task A_bad_query_value_is_answered_with_400_and_what_is_allowed(string path)
    {
        var (code, body) = await GetJson(path);
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Contains("history must be a whole number from 1 to 500", body.GetProperty("error").GetString());
    }

    [Theory]
    [InlineData("/health/nothing")]
    [InlineData("/favicon.ico")]
    public async Task An_unknown_path_is_answered_with_404_and_the_paths_there_are(string path)
    {
        var (code, body) = await GetJson(path);
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.Equal($"no such endpoint: GET {path}", body.GetProperty("error").GetString());
        Assert.Contains("/health/ready", body.GetProperty("endpoints").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task The_dashboard_page_and_the_Orleans_Dashboard_are_served_and_load_nothing_from_elsewhere()
    {
        var page = await Http.GetStringAsync("/dashboard/");
        Assert.Contains("api/events", page);
        Assert.DoesNotMatch(ExternalReference(), page);
        using var noRedirects = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Http.BaseAddress };
        Assert.Equal(HttpStatusCode.Redirect, (await noRedirects.GetAsync("/dashboard")).StatusCode);
        Assert.Contains("Orleans Dashboard", await Http.GetStringAsync("/orleans/"));
    }

    private async Task<double> RoundsCompleted()
    {
        var metrics = await Http.GetStringAsync("/metrics");
        var match = RoundsCompletedLine().Match(metrics);
        Assert.True(match.Success, $"/metrics has no resync_rounds_completed counter:\n{metrics[..Math.Min(2000, metrics.Length)]}");
        return double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<(HttpStatusCode Code, JsonElement Body)> GetJson(string path)
    {
        using var response = await Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [GeneratedRegex(@"^resync_rounds_completed(?:_total)?(?:\{[^}]*\})? ([0-9.eE+]+)", RegexOptions.Multiline)]
    private static partial Regex RoundsCompletedLine();

    [GeneratedRegex(@"(src|href)=""(https?:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();
}

[CollectionDefinition(Name)]
public sealed class OperationsCollection : ICollectionFixture<OperationsFixture>
{
    public const string Name = "operations";
}
