using Resync.Client;

namespace Resync.Tests.Client;

public sealed class DemoTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_demo_plays_its_scenario_on_an_embedded_silo_and_exits_zero_with_identical_state()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = await ResyncCli.RunAsync(["demo"], stdout, stderr);

        output.WriteLine(stdout.ToString());
        output.WriteLine(stderr.ToString());
        Assert.Equal(ExitCodes.Success, exit);
        Assert.Contains("identical state on every member: yes", stdout.ToString());
        Assert.Contains("aborted", stdout.ToString());
        Assert.Empty(stderr.ToString());
    }

    [Fact]
    public async Task With_keep_the_demo_leaves_its_silo_and_dashboard_running_until_stopped()
    {
        var port = Resync.Bench.Processes.SiloProcess.FreePort();
        var stdout = new LockedWriter();
        var stderr = new LockedWriter();
        using var stop = new CancellationTokenSource();
        var demo = ResyncCli.RunAsync(["demo", "--keep", "--http-port", port.ToString()], stdout, stderr, stop.Token);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!Written(stdout).Contains("The silo keeps running", StringComparison.Ordinal))
        {
            Assert.False(demo.IsCompleted, $"the demo ended instead of keeping its silo:\n{Written(stdout)}{Written(stderr)}");
            Assert.True(DateTime.UtcNow < deadline, $"the demo did not say it keeps running within 60 s:\n{Written(stdout)}");
            await Task.Delay(100);
        }

        var shown = Written(stdout);
        output.WriteLine(shown);
        Assert.Contains($"dashboard at http://127.0.0.1:{port}/dashboard/", shown);
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
        {
            var snapshot = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/dashboard/api/snapshot")).RootElement;
            Assert.True(snapshot.GetProperty("history").GetArrayLength() > 1, "the kept dashboard shows the scenario's rounds");
        }

        stop.Cancel();
        Assert.Equal(ExitCodes.Success, await demo.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Empty(Written(stderr));
    }

    private static string Written(LockedWriter writer) => writer.ToString();

    /// <summary>A console read while the command still writes to it.</summary>
    private sealed class LockedWriter : StringWriter
    {
        public override void Write(char value)
        {
            lock (this) base.Write(value);
        }

        public override void Write(string? value)
        {
            lock (this) base.Write(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (this) base.Write(buffer, index, count);
        }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            lock (this) base.Write(buffer);
        }

        public override string ToString()
        {
            lock (this) return base.ToString();
        }
    }
}
