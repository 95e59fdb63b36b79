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
}
