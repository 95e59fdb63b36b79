using System.Diagnostics;
using Resync.Bench.Processes;
using Resync.Clustering;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Processes;

/// <summary>A silo cut off from its peers and its database (issue 26 point 8): SIGTERM still ends it within seconds, and its console does not flood.</summary>
public sealed class CutOffSiloTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_silo_whose_peer_and_database_are_gone_stops_within_seconds_of_sigterm_without_flooding_its_console()
    {
        var (server, why) = await ThrowawayPostgres.TryStartAsync(CancellationToken.None);
        Assert.True(server is not null, $"this test needs a PostgreSQL of its own to stop: {why}");
        SiloProcess? lonely = null, peer = null;
        try
        {
            lonely = SiloProcesses.StartPostgresAsShipped(server!.ConnectionString);
            peer = SiloProcesses.StartPostgresAsShipped(server.ConnectionString);
            await using (var connection = await CrashTests.ConnectAsync(new ClusteringSettings { Mode = ClusteringMode.Postgres, ConnectionString = server.ConnectionString }))
            {
                await SiloProcesses.Settled(new ResyncDriver(connection.Client), [lonely, peer], "two silos started");
            }

            peer.Kill();
            await server.DisposeAsync();
            server = null;
            var cutOffAt = lonely.Output.Length;
            await Task.Delay(TimeSpan.FromSeconds(5)); // the silo on its own, its probes and table reads failing
            var flood = lonely.Output[cutOffAt..].Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;

            var clock = Stopwatch.StartNew();
            lonely.Stop();
            var exit = await lonely.WaitForExitAsync(TimeSpan.FromSeconds(60));
            output.WriteLine($"{flood} lines in the 5 s cut off; exit {exit} {clock.Elapsed.TotalSeconds:F1} s after SIGTERM");
            output.WriteLine(lonely.Output);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"the silo took {clock.Elapsed.TotalSeconds:F1} s to stop after SIGTERM");
            Assert.True(flood < 50, $"{flood} lines in 5 s cut off from its peer and database");
        }
        finally
        {
            if (lonely is not null)
            {
                await lonely.DisposeAsync();
            }

            if (peer is not null)
            {
                await peer.DisposeAsync();
            }

            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }
}
