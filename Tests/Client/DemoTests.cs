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
}
