using Resync.Reference;

namespace Resync.Client.Demo;

/// <summary>Compares every member's replicas of every reference service with each other (and CLM with the configuration).</summary>
public static class StateCheck
{
    /// <summary>One line per service; <c>Identical</c> is false if any member differs.</summary>
    public static async Task<(bool Identical, List<string> Lines)> RunAsync(IClusterClient client)
    {
        var configuration = await client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key).GetConfiguration();
        var members = configuration.Members;
        var lines = new List<string>();

        var views = await Task.WhenAll(members.Select(m => client.GetGrain<IClmService>(m).GetView()));
        var viewsDistinct = views.Distinct().Count();
        var matches = views.All(v => v.Epoch == configuration.Epoch && v.Members.Select(m => m.Processor).SequenceEqual(members));
        lines.Add($"clm:  {members.Length} members, {viewsDistinct} distinct view(s), {(matches ? "equal to" : "DIFFERENT FROM")} the configuration of epoch {configuration.Epoch}");

        var evt = await Task.WhenAll(members.Select(m => client.GetGrain<IEvtService>(m).GetDigest()));
        lines.Add($"evt:  {members.Length} members, {evt.Distinct().Count()} distinct digest(s) {Short(evt)}");

        var ckpt = await Task.WhenAll(members.Select(m => client.GetGrain<ICkptService>(m).GetDigest()));
        lines.Add($"ckpt: {members.Length} members, {ckpt.Distinct().Count()} distinct digest(s) {Short(ckpt)}");

        var identical = viewsDistinct <= 1 && matches && evt.Distinct().Count() <= 1 && ckpt.Distinct().Count() <= 1;
        return (identical, lines);
    }

    private static string Short(string[] digests) => string.Join(" ", digests.Distinct().Select(d => d[..12]));
}
