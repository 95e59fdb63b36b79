using Resync.Client.Output;

namespace Resync.Client.Demo;

/// <summary>
/// The scenario the demo plays, step by step on screen: processors join, one fails in the middle of a
/// round while another joins, every round is shown as it ends, and at the end every member's state is
/// compared.
/// </summary>
public sealed class DemoScenario(IClusterClient client, TextWriter output)
{
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(30);
    private readonly IConfigurationGrain _configuration = client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
    private long _shownThrough;

    public async Task<int> RunAsync()
    {
        var status = await _configuration.GetStatus();
        output.WriteLine($"services, in synchronization order: {string.Join(" -> ", status.Services)}");
        output.WriteLine();

        await Act("four processors join: p1 p2 p3 p4", () => _configuration.Join(["p1", "p2", "p3", "p4"]));

        output.WriteLine("> p5 joins, and p2 fails while that round is running");
        var join = _configuration.Join(["p5"]);
        var fail = _configuration.Fail(["p2"]);
        await Task.WhenAll(join, fail);
        await ShowRoundsAsync(Math.Max(join.Result.Configuration.Epoch, fail.Result.Configuration.Epoch));

        await Act("p6 joins", () => _configuration.Join(["p6"]));
        await Act("p3 leaves (it keeps its replicas, as a partitioned node would)", () => _configuration.Leave(["p3"]));

        output.WriteLine("> checking that every member holds identical state");
        var (identical, lines) = await StateCheck.RunAsync(client);
        lines.ForEach(line => output.WriteLine($"  {line}"));
        output.WriteLine(identical ? "identical state on every member: yes" : "identical state on every member: NO");
        return identical ? ExitCodes.Success : ExitCodes.Failed;
    }

    private async Task Act(string description, Func<Task<ConfigurationChange>> change)
    {
        output.WriteLine($"> {description}");
        var result = await change();
        await ShowRoundsAsync(result.Configuration.Epoch);
    }

    /// <summary>Waits for the round of <paramref name="epoch"/>, then shows every round that ended since the last call.</summary>
    private async Task ShowRoundsAsync(long epoch)
    {
        await _configuration.WaitForCompletedRound(epoch, RoundTimeout);
        var configuration = await _configuration.GetConfiguration();
        foreach (var round in (await _configuration.GetHistory()).Where(r => r.Epoch > _shownThrough).OrderBy(r => r.Epoch))
        {
            output.WriteLine($"  {TextOutput.Round(round)}");
            _shownThrough = round.Epoch;
        }

        output.WriteLine($"  members of epoch {configuration.Epoch}: {TextOutput.Members(configuration.Members)}");
        output.WriteLine();
    }
}
