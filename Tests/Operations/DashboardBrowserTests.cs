using Microsoft.Playwright;
using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Resync.Tests.Operations;

/// <summary>
/// The dashboard in a real browser: Debian's Chromium driven by Playwright (no browser download; RESYNC_CHROMIUM
/// names another executable). It opens the page, changes the membership through the client console, and sees the
/// new epoch and its steps arrive by themselves; a round held at a callback shows whom its barrier waits for.
/// With RESYNC_SCREENSHOT set to a path, the last view is saved there (README's picture is made so).
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class DashboardBrowserTests(OperationsFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly float Patience = 15_000;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public async Task InitializeAsync()
    {
        await fixture.Driver.Reset();
        var chromium = Environment.GetEnvironmentVariable("RESYNC_CHROMIUM") ?? "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), $"the browser tests need Chromium at {chromium}: install Debian's chromium package (.ci/run does), or set RESYNC_CHROMIUM");
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        ConformanceControl.Reset();
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    [Fact]
    public async Task The_page_follows_a_membership_change_made_by_the_client_and_names_whom_a_held_round_waits_for()
    {
        var page = await _browser!.NewPageAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 } });
        var outside = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(fixture.Cluster.HttpAddress.ToString(), StringComparison.Ordinal))
            {
                lock (outside)
                {
                    outside.Add(request.Url);
                }
            }
        };
        await page.GotoAsync(new Uri(fixture.Cluster.HttpAddress, "dashboard/").ToString());
        await Expect(page.Locator("#connection")).ToHaveTextAsync("live", new() { Timeout = Patience });
        var before = (await fixture.Driver.Status()).Configuration.Epoch;
        await Expect(page.Locator("#epoch")).ToHaveTextAsync(before.ToString(), new() { Timeout = Patience });

        // An operator's change, through the client console; the page is not reloaded.
        await fixture.RunClient("processor", "join", "web1", "web2");
        var joined = (await fixture.Driver.Status()).Configuration;
        await fixture.Driver.WaitForRound(joined.Epoch);
        await Expect(page.Locator("#epoch")).ToHaveTextAsync(joined.Epoch.ToString(), new() { Timeout = Patience });
        await Expect(page.Locator("#round-phase")).ToHaveTextAsync("Completed", new() { Timeout = Patience });
        await Expect(page.Locator("#members li")).ToHaveTextAsync(["web1", "web2"], new() { Timeout = Patience });
        await Expect(page.Locator("#round-steps [data-state=done]")).ToHaveCountAsync(ResyncTestSilo.Services.Length, new() { Timeout = Patience });
        await Expect(page.Locator($"#history-table tr[data-epoch='{joined.Epoch}']")).ToHaveCountAsync(1, new() { Timeout = Patience });
        output.WriteLine($"the page showed epoch {joined.Epoch} and its {ResyncTestSilo.Services.Length} steps");

        // A round stuck at a barrier: the page names the processor it waits for.
        var hold = ConformanceControl.HoldAt("process", "conf-b", "web2");
        await fixture.RunClient("processor", "join", "web3");
        await ResyncDriver.Reached(hold, "web2 processing conf-b");
        var held = (await fixture.Driver.Status()).Configuration.Epoch;
        await Expect(page.Locator("#round-epoch")).ToHaveTextAsync(held.ToString(), new() { Timeout = Patience });
        await Expect(page.Locator("#waiting-for li")).ToHaveTextAsync(["web2"], new() { Timeout = Patience });
        await Expect(page.Locator("#round-steps [data-service='conf-b']")).ToHaveAttributeAsync("data-state", "current", new() { Timeout = Patience });
        if (Environment.GetEnvironmentVariable("RESYNC_SCREENSHOT") is { Length: > 0 } screenshot)
        {
            await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
            output.WriteLine($"screenshot: {screenshot}");
        }

        hold.Release();
        await fixture.Driver.WaitForRound(held);
        await Expect(page.Locator("#waiting-for")).ToHaveTextAsync("nobody", new() { Timeout = Patience });
        lock (outside)
        {
            Assert.Empty(outside);
        }
    }
}
