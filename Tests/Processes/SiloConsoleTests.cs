using System.Text.Json;
using System.Text.RegularExpressions;
using Resync.Bench.Processes;
using Resync.Clustering;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Processes;

/// <summary>A silo's console with its defaults (issue 26 point 7): timestamps, Resync's lines and warnings, one line per event.</summary>
[Collection(PostgresCollection.Name)]
public sealed partial class SiloConsoleTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task A_silo_console_shows_one_timestamped_line_per_event_and_no_placement_noise_or_stack_trace_when_a_peer_is_killed()
    {
        var database = await postgres.NewDatabaseAsync();
        var (watched, peer) = (SiloProcesses.StartPostgresAsShipped(database), SiloProcesses.StartPostgresAsShipped(database));
        try
        {
            await using var connection = await CrashTests.ConnectAsync(new ClusteringSettings { Mode = ClusteringMode.Postgres, ConnectionString = database });
            var driver = new ResyncDriver(connection.Client);
            await SiloProcesses.Settled(driver, [watched, peer], "two silos with the default console");
            for (var i = 0; i < 5; i++)
            {
                await driver.Status();
            }

            peer.Kill();
            await SiloProcesses.Settled(driver, [watched], "after the peer's kill");
            await watched.StopAsync(TimeSpan.FromSeconds(30));

            var lines = watched.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToList();
            output.WriteLine(string.Join("\n", lines));
            Assert.All(lines, line => Assert.Matches(OneLine(), line));
            Assert.DoesNotContain(lines, line => line.Contains("Polly", StringComparison.Ordinal));
            Assert.Contains(lines, line => line.Contains(" info Resync.", StringComparison.Ordinal));
            Assert.True(lines.Count < 80, $"{lines.Count} lines for a start, five client calls, a peer's kill and a stop");
        }
        finally
        {
            await watched.DisposeAsync();
            await peer.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_standard_switch_makes_the_console_json_for_log_shippers()
    {
        var database = await postgres.NewDatabaseAsync();
        await using var silo = SiloProcesses.StartPostgresAsShipped(database, "--Logging:Console:FormatterName", "json");
        await using var connection = await CrashTests.ConnectAsync(new ClusteringSettings { Mode = ClusteringMode.Postgres, ConnectionString = database });
        await SiloProcesses.Settled(new ResyncDriver(connection.Client), [silo], "a silo with the json console");
        await silo.StopAsync(TimeSpan.FromSeconds(30));

        var lines = silo.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
    }

    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d\d\d (trce|dbug|info|warn|fail|crit) [\w.`\[\]]+: ")]
    private static partial Regex OneLine();
}
