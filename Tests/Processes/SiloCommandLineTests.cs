namespace Resync.Tests.Processes;

/// <summary>The silo program's command line (issue 26 point 6).</summary>
public sealed class SiloCommandLineTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public async Task Help_prints_the_options_and_exits_without_starting_a_silo(string help)
    {
        await using var silo = SiloProcesses.StartWith(help);

        var exit = await silo.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, exit);
        Assert.Contains("Usage: Resync.Silo", silo.Output);
        Assert.Contains("--silo-port", silo.Output);
        Assert.Contains("--connection-string", silo.Output);
        Assert.DoesNotContain("Orleans", silo.Output.Split("Any configuration key")[0]);
    }

    [Fact]
    public async Task A_silo_of_a_postgres_cluster_without_the_deployment_certificate_refuses_to_start_unless_told_insecure()
    {
        // Nothing listens on port 1: the refusal comes before the database is asked.
        await using var silo = SiloProcesses.StartWith("--clustering", "postgres", "--connection-string", "Host=127.0.0.1;Port=1;Username=postgres;Database=resync");

        var exit = await silo.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, exit);
        var line = Assert.Single(silo.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.StartsWith("error: a silo of a PostgreSQL cluster takes the deployment certificate", line);
        Assert.Contains("--insecure", line);

        await using var insecure = SiloProcesses.StartWith("--clustering", "postgres", "--connection-string", "Host=127.0.0.1;Port=1;Username=postgres;Database=resync", "--insecure");
        Assert.Equal(1, await insecure.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("127.0.0.1", insecure.Output);
    }
}
