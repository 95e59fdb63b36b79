using System.Text;
using Resync.Client.Output;
using Resync.Reference;

namespace Resync.Client.Demo;

/// <summary>
/// The scenario the demo plays, step by step on screen: processors join, one fails in the middle of a
/// round while another joins, every round is shown as it ends, and at the end every member's state is
/// compared.
/// </summary>
public sealed class DemoScenario(IClusterClient client, TextWriter output)
{
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(30);
    private const int BulkSections = 8;
    private const int SectionBytes = 1024 * 1024;
    private readonly IConfigurationGrain _configuration = client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
    private long _shownThrough;

    public async Task<int> RunAsync()
    {
        var status = await _configuration.GetStatus();
        output.WriteLine($"services, in synchronization order: {string.Join(" -> ", status.Services)}");
        output.WriteLine();

        await Act("four processors join: p1 p2 p3 p4", () => _configuration.Join(["p1", "p2", "p3", "p4"]));

        output.WriteLine("> clients write through different processors; each write is acknowledged once every member holds it");
        var evt = client.GetGrain<IEvtService>("p1");
        await evt.OpenChannel("alerts");
        foreach (var text in new[] { "disk 91% full on node-7", "certificate expires in 3 days", "backup finished" })
        {
            await client.GetGrain<IEvtService>("p4").Publish("alerts", Encoding.UTF8.GetBytes(text), TimeSpan.FromHours(1));
        }

        await client.GetGrain<IEvtService>("p2").Subscribe("alerts");
        var ckpt = client.GetGrain<ICkptService>("p3");
        await ckpt.Create("orders");
        await ckpt.Write("orders", "header", Encoding.UTF8.GetBytes("orders as of epoch 1"));
        await ckpt.Create("inventory");
        var random = new Random(1);
        for (var section = 0; section < BulkSections; section++)
        {
            var data = new byte[SectionBytes];
            random.NextBytes(data);
            await ckpt.Write("inventory", $"part-{section:D2}", data);
        }

        output.WriteLine($"  channel 'alerts' with 3 events, subscribed by p2; checkpoints 'orders' and 'inventory' ({BulkSections * SectionBytes / (1024 * 1024)} MiB)");
        output.WriteLine();

        output.WriteLine("> p5 joins and must receive every checkpoint; p2 fails while that round is running");
        var join = await _configuration.Join(["p5"]);
        var fail = await _configuration.Fail(["p2"]);
        await ShowRoundsAsync(Math.Max(join.Configuration.Epoch, fail.Configuration.Epoch));

        await Act("p6 joins", () => _configuration.Join(["p6"]));
        await Act("p3 leaves (it keeps its replicas, as a partitioned node would)", () => _configuration.Leave(["p3"]));

        output.WriteLine("> checking that every member holds identical state");
        var (identical, lines) = await StateCheck.RunAsync(client);
        lines.ForEach(line => output.WriteLine($"  {line}"));
        var subscribers = (await client.GetGrain<IEvtService>("p5").ListChannels()).Single().Subscribers;
        output.WriteLine($"  subscribers of 'alerts' as p5 sees them: {(subscribers.IsEmpty ? "none (p2 failed)" : string.Join(" ", subscribers))}");
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
