using Resync.Bench.Processes;
using Resync.Client;
using Resync.Clustering;
using Resync.Clustering.Postgres;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Processes;

/// <summary>PostgreSQL clustering and storage (issue 4): silo processes and a client against a real server.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresClusterTests(PostgresFixture postgres, ITestOutputHelper output)
{
    [Fact]
    public async Task Two_silos_and_a_client_complete_rounds_and_a_restart_of_the_whole_cluster_keeps_the_epoch_growing_without_reusing_a_number_and_keeps_the_history()
    {
        var database = await postgres.NewDatabaseAsync();
        var settings = new ClusteringSettings { Mode = ClusteringMode.Postgres, ConnectionString = database };

        long before;
        await using (var first = await ClusterOf(database, 2))
        {
            var driver = new ResyncDriver(first.Connection.Client);
            await SiloProcesses.Settled(driver, first.Silos, "first incarnation");
            var joined = (await driver.Join("logical-a", "logical-b")).Configuration;
            await driver.WaitForRound(joined.Epoch);
            before = joined.Epoch;
            await first.StopAllAsync();
        }

        await using var second = await ClusterOf(database, 2);
        var again = new ResyncDriver(second.Connection.Client);
        var resumed = await SiloProcesses.Settled(again, second.Silos, "after the restart");
        Assert.True(resumed.Configuration.Epoch > before, $"epoch {resumed.Configuration.Epoch} after the restart, {before} before");
        Assert.Contains("logical-a", resumed.Configuration.Members);
        Assert.Contains("logical-b", resumed.Configuration.Members);
        // The history survives the restart (issue 26 point 3), and no epoch number is used twice in it.
        var history = await again.Configuration.GetHistory();
        Assert.Contains(history, round => round.Epoch == before && round.Outcome == RoundPhase.Completed);
        Assert.True(history.Select(r => r.Epoch).SequenceEqual(history.Select(r => r.Epoch).Distinct().Order()),
            $"history after the restart: epochs {string.Join(" ", history.Select(r => r.Epoch))}, expected increasing without a repeat");

        var left = (await again.Leave("logical-a")).Configuration;
        Assert.Equal(resumed.Configuration.Epoch + 1, left.Epoch);
        await again.WaitForRound(left.Epoch);
        output.WriteLine($"epoch {before} before the restart; {resumed.Configuration.Epoch} once the new silos settled; {left.Epoch} after a leave");
    }

    [Fact]
    public async Task Three_silo_processes_each_answer_ready_and_show_the_same_configuration_on_their_dashboards()
    {
        var database = await postgres.NewDatabaseAsync();
        var processes = Enumerable.Range(0, 3).Select(_ => SiloProcesses.StartPostgres(database, "--dashboard")).ToList();
        await using var cluster = new ProcessCluster(processes, await CrashTests.ConnectAsync(new ClusteringSettings { Mode = ClusteringMode.Postgres, ConnectionString = database }));
        var settled = await SiloProcesses.Settled(new ResyncDriver(cluster.Connection.Client), cluster.Silos, "three silos with dashboards");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var silo in cluster.Silos)
        {
            var address = $"http://127.0.0.1:{silo.HttpPort}";
            using var ready = await http.GetAsync($"{address}/health/ready");
            var body = await ready.Content.ReadAsStringAsync();
            Assert.True(ready.IsSuccessStatusCode, $"{address}/health/ready: {(int)ready.StatusCode} {body}");
            Assert.Contains($"epoch {settled.Configuration.Epoch} completed its round with 3 members", body);
            var snapshot = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"{address}/dashboard/api/snapshot")).RootElement;
            Assert.Equal(settled.Configuration.Epoch, snapshot.GetProperty("epoch").GetInt64());
            Assert.Equal(3, snapshot.GetProperty("members").EnumerateArray().Count(m => ProcessorId.IsSilo(m.GetString()!)));
            Assert.Contains("# TYPE", await http.GetStringAsync($"{address}/metrics"));
        }
    }

    [Fact]
    public async Task A_silo_without_the_deployment_certificate_cannot_join_a_cluster_that_has_one()
    {
        var database = await postgres.NewDatabaseAsync();
        var folder = Directory.CreateTempSubdirectory("resync-tls-").FullName;
        try
        {
            var certificate = Path.Combine(folder, "deployment.pfx");
            using (var created = DeploymentCertificate.Create(TimeSpan.FromHours(1)))
            {
                DeploymentCertificate.Write(created, certificate);
            }

            await using var member = SiloProcesses.StartPostgres(database, "--certificate", certificate);
            var settings = new ClusteringSettings { Mode = ClusteringMode.Postgres, ConnectionString = database, CertificatePath = certificate };
            await using var connection = await CrashTests.ConnectAsync(settings);
            var driver = new ResyncDriver(connection.Client);
            var settled = await SiloProcesses.Settled(driver, [member], "the silo with the certificate");

            // The stranger reaches the database, but no silo of the cluster: it never becomes a member, and goes.
            // Orleans retries joining for MaxJoinAttemptTime (5 minutes by default) unless the members vote it dead first.
            await using var stranger = SiloProcesses.StartPostgres(database, "--Orleans:Membership:MaxJoinAttemptTime", "00:00:20");
            var exit = await stranger.WaitForExitAsync(TimeSpan.FromSeconds(90));
            output.WriteLine($"the silo without the certificate exited with {exit}:\n{stranger.Output}");
            Assert.NotEqual(0, exit);
            var after = await driver.Status();
            Assert.True(SiloProcess.HasExactly(after.Configuration, [member]), $"members after the stranger: {string.Join(" ", after.Configuration.Members)}");
            Assert.DoesNotContain((await driver.Configuration.GetHistory()).SelectMany(r => r.Evicted), p => p.StartsWith(stranger.ProcessorPrefix, StringComparison.Ordinal));
            output.WriteLine($"epoch {settled.Configuration.Epoch} before the stranger, {after.Configuration.Epoch} after");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task A_second_silo_on_a_port_a_live_silo_holds_refuses_to_start_and_the_live_silo_stays_a_member(bool sameSiloPort, bool sameGatewayPort)
    {
        var database = await postgres.NewDatabaseAsync();
        await using var cluster = await ClusterOf(database, 1);
        var driver = new ResyncDriver(cluster.Connection.Client);
        var settled = await SiloProcesses.Settled(driver, cluster.Silos, "one silo started");
        var live = cluster.Silos[0];

        await using var intruder = SiloProcesses.StartPostgresOn(
            database, sameSiloPort ? live.SiloPort : SiloProcess.FreePort(), sameGatewayPort ? live.GatewayPort : SiloProcess.FreePort());
        var exit = await intruder.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, exit);
        var line = Assert.Single(intruder.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: the ", line);
        Assert.Contains(sameSiloPort ? $"silo port {live.SiloPort}" : $"gateway port {live.GatewayPort}", line);
        Assert.Contains("already in use", line);
        Assert.False(live.HasExited, $"the live silo stopped:\n{live.Output}");
        var status = await driver.Status();
        Assert.Equal(settled.Configuration, status.Configuration);
        Assert.Equal(RoundPhase.Completed, status.Round?.Phase);
    }

    [Fact]
    public async Task A_localhost_client_pointed_at_a_postgres_silo_is_told_that_a_silo_listens_there_and_what_to_add()
    {
        var database = await postgres.NewDatabaseAsync();
        await using var cluster = await ClusterOf(database, 1);
        await SiloProcesses.Settled(new ResyncDriver(cluster.Connection.Client), cluster.Silos, "one silo started");
        var gateway = cluster.Silos[0].GatewayPort;
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await ResyncCli.RunAsync(["status", "--gateway-port", gateway.ToString()], output, error);

        Assert.Equal(ExitCodes.Unreachable, exit);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"something listens at 127.0.0.1:{gateway}", line);
        Assert.Contains("--clustering postgres", line);
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=1;Username=postgres;Database=resync", "cannot use PostgreSQL at 127.0.0.1:1/resync")]
    [InlineData("Host=127.0.0.1;Port=notaport", "bad PostgreSQL connection string")]
    public async Task A_silo_without_a_usable_database_exits_with_one_clear_line(string connectionString, string message)
    {
        await using var silo = SiloProcesses.StartPostgres(connectionString);

        var exit = await silo.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exit);
        var line = Assert.Single(silo.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(message, line);
    }

    [Fact]
    public async Task The_schema_applies_idempotently_and_holds_every_query_the_providers_read()
    {
        var database = await postgres.NewDatabaseAsync();

        await PostgresSchema.ApplyAsync(database);
        await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => PostgresSchema.ApplyAsync(database)));

        await using var connection = new Npgsql.NpgsqlConnection(database);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT QueryKey FROM OrleansQuery ORDER BY QueryKey", connection);
        var keys = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                keys.Add(reader.GetString(0));
            }
        }

        Assert.Equal(
            ["CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey", "ClearStorageKey", "DeleteMembershipTableEntriesKey", "DeleteStorageKey",
             "GatewaysQueryKey", "InsertMembershipKey", "InsertMembershipVersionKey", "MembershipReadAllKey", "MembershipReadRowKey",
             "ReadFromStorageKey", "UpdateIAmAlivetimeKey", "UpdateMembershipKey", "WriteToStorageKey"],
            keys);
    }

    private static async Task<ProcessCluster> ClusterOf(string database, int silos)
    {
        var processes = Enumerable.Range(0, silos).Select(_ => SiloProcesses.StartPostgres(database)).ToList();
        var connection = await CrashTests.ConnectAsync(new ClusteringSettings { Mode = ClusteringMode.Postgres, ConnectionString = database });
        return new ProcessCluster(processes, connection);
    }

    private sealed class ProcessCluster(List<SiloProcess> silos, ClusterConnection connection) : IAsyncDisposable
    {
        public List<SiloProcess> Silos { get; } = silos;

        public ClusterConnection Connection { get; } = connection;

        public Task StopAllAsync() => Task.WhenAll(Silos.Select(s => s.StopAsync(TimeSpan.FromSeconds(30))));

        public async ValueTask DisposeAsync()
        {
            try
            {
                await Connection.DisposeAsync();
            }
            catch (Exception)
            {
                // The silos may be gone already.
            }

            foreach (var silo in Silos)
            {
                await silo.DisposeAsync();
            }
        }
    }
}
