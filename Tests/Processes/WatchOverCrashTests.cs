using Resync.Bench.Processes;
using Resync.Client;
using Resync.Clustering;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Processes;

/// <summary>
/// An operator watches while silos die (issue 26 point 4): <c>watch</c> rides over the loss of the gateway it talks to,
/// says so in one line, and never prints a stack trace.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class WatchOverCrashTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task Watch_keeps_reporting_rounds_while_the_silos_it_may_talk_to_are_killed_one_after_the_other()
    {
        var database = await postgres.NewDatabaseAsync();
        var settings = new ClusteringSettings { Mode = ClusteringMode.Postgres, ConnectionString = database };
        List<SiloProcess> silos = [SiloProcesses.StartPostgres(database), SiloProcesses.StartPostgres(database)];
        try
        {
            await using var connection = await CrashTests.ConnectAsync(settings);
            var driver = new ResyncDriver(connection.Client);
            await SiloProcesses.Settled(driver, silos, "two silos started");

            // The watch talks to one of the two gateways; each is killed in turn, a third silo joining between.
            var (text, errors) = (new StringWriter(), new StringWriter());
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            var watch = ResyncCli.RunAsync(
                ["--clustering", "postgres", "--connection-string", database, "--plain", "watch", "--interval", "50"],
                TextWriter.Synchronized(text), TextWriter.Synchronized(errors), stop.Token);
            await WaitForAsync(() => text.ToString().Contains("watching rounds", StringComparison.Ordinal), watch, "the watch starting");

            await KillAsync(silos, 0, driver, "the first silo killed");
            silos.Add(SiloProcesses.StartPostgres(database));
            await SiloProcesses.Settled(driver, silos, "a third silo joined");
            await KillAsync(silos, 0, driver, "the second silo killed");

            var last = (await driver.Configuration.GetConfiguration()).Epoch;
            await WaitForAsync(() => text.ToString().Contains($"epoch {last} completed", StringComparison.Ordinal), watch, $"the watch reporting epoch {last}'s round");
            await stop.CancelAsync();
            var exit = await watch.WaitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine(text.ToString());
            output.WriteLine(errors.ToString());
            Assert.Equal(ExitCodes.Success, exit);
            Assert.Equal("", errors.ToString());
            Assert.DoesNotContain("   at ", text.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("Exception while sending", text.ToString(), StringComparison.Ordinal);
            Assert.Contains("retrying through its other gateways", text.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }

    private static async Task KillAsync(List<SiloProcess> silos, int index, ResyncDriver driver, string phase)
    {
        var victim = silos[index];
        victim.Kill();
        silos.Remove(victim);
        await victim.DisposeAsync();
        await SiloProcesses.Settled(driver, silos, phase);
    }

    private static async Task WaitForAsync(Func<bool> condition, Task<int> watch, string phase)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(40);
        while (!condition())
        {
            Assert.False(watch.IsCompleted, $"{phase}: the watch ended first (exit {(watch.IsCompletedSuccessfully ? watch.Result : -1)})");
            Assert.True(DateTime.UtcNow < deadline, $"{phase}: not seen within 40 s");
            await Task.Delay(20);
        }
    }
}
