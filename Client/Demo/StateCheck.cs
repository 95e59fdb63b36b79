using Resync.Reference;

namespace Resync.Client.Demo;

/// <summary>Compares every member's replicas of every reference service with each other and with the configuration.</summary>
public static class StateCheck
{
    /// <summary>One line per service; <c>Identical</c> is false if any member differs.</summary>
    public static async Task<(bool Identical, List<string> Lines)> RunAsync(IClusterClient client)
    {
        var configuration = await client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key).GetConfiguration();
        var lines = new List<string>();
        var identical = true;

        var views = await Task.WhenAll(configuration.Members.Select(m => client.GetGrain<IClmService>(m).GetView()));
        var distinct = views.Distinct().Count();
        var matches = views.All(v => v.Epoch == configuration.Epoch && v.Members.Select(m => m.Processor).SequenceEqual(configuration.Members));
        identical &= distinct <= 1 && matches;
        lines.Add($"clm: {views.Length} members, {distinct} distinct view(s), {(matches ? "equal to" : "DIFFERENT FROM")} the configuration of epoch {configuration.Epoch}");
        return (identical, lines);
    }
}
