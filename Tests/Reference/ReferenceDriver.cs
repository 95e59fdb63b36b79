using Resync.Client.Demo;
using Resync.Reference;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Reference;

/// <summary>Client-side helpers for the reference services.</summary>
public sealed class ReferenceDriver(IClusterClient client)
{
    public ResyncDriver Engine { get; } = new(client);

    public IClmService Clm(string processor) => client.GetGrain<IClmService>(processor);

    public IEvtService Evt(string processor) => client.GetGrain<IEvtService>(processor);

    public ICkptService Ckpt(string processor) => client.GetGrain<ICkptService>(processor);

    /// <summary>Makes a configuration change and waits for its round.</summary>
    public async Task<Configuration> Settle(Task<ConfigurationChange> change)
    {
        var configuration = (await change).Configuration;
        await Engine.WaitForRound(configuration.Epoch);
        return configuration;
    }

    /// <summary>Every member holds the same CLM view (equal to the configuration), EVT state and CKPT state.</summary>
    public async Task AssertIdentical()
    {
        var (identical, lines) = await StateCheck.RunAsync(client);
        Assert.True(identical, string.Join("\n", lines));
    }

    /// <summary>
    /// Waits, bounded, until every member holds the same state: for a change that is followed by a round of
    /// its own making (a departed silo's logical processors are rebuilt in a round after the one that removed
    /// the silo), so that a check right after the first round could see the second in flight.
    /// </summary>
    public Task WaitForIdentical(string phase) =>
        ResyncDriver.Until(
            () => ResyncDriver.Retrying(() => StateCheck.RunAsync(client)),
            check => check.Identical,
            check => $"{phase}: members never held identical state:\n{string.Join("\n", check.Lines)}");

    public async Task Reset()
    {
        var configuration = await Engine.Configuration.GetConfiguration();
        if (!configuration.Members.IsEmpty)
        {
            await Settle(Engine.Fail([.. configuration.Members]));
        }
    }

    public static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
