using Resync.Client.Output;

namespace Resync.Tests.Client;

public sealed class StatusOutputTests
{
    [Fact]
    public void During_a_rolling_upgrade_status_shows_each_silo_s_services_and_who_takes_part_in_a_step_without_a_replica()
    {
        var round = new RoundProgress(9, RoundPhase.Completed, 3, null, [], [], DateTimeOffset.UnixEpoch, TimeSpan.FromMilliseconds(4), null)
        {
            Lacking = [new ServiceLack("map", ["silo:127.0.0.1:1@1"])],
        };
        var status = new ResyncStatus(new Configuration(9, ["silo:127.0.0.1:1@1", "silo:127.0.0.1:2@1"], []), round, DropCounts.None, ["clm", "evt", "ckpt", "map"], [])
        {
            SiloServices = ImmutableDictionary<string, ImmutableArray<string>>.Empty
                .Add("127.0.0.1:1@1", ["clm", "evt", "ckpt"]).Add("127.0.0.1:2@1", ["clm", "evt", "ckpt", "map"]),
        };
        using var text = new StringWriter();

        TextOutput.WriteStatus(text, status, rich: false);

        var lines = text.ToString().Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Contains("services  clm evt ckpt map", lines);
        Assert.Contains("  silo 127.0.0.1:1@1: clm evt ckpt", lines);
        Assert.Contains("  silo 127.0.0.1:2@1: clm evt ckpt map", lines);
        Assert.Contains(lines, l => l.StartsWith("without   map: silo:127.0.0.1:1@1", StringComparison.Ordinal));
    }

    [Fact]
    public void When_every_silo_has_every_service_status_does_not_list_the_silos()
    {
        var status = new ResyncStatus(new Configuration(2, ["p1"], []), null, DropCounts.None, ["clm"], [])
        {
            SiloServices = ImmutableDictionary<string, ImmutableArray<string>>.Empty.Add("127.0.0.1:1@1", ["clm"]),
        };
        using var text = new StringWriter();

        TextOutput.WriteStatus(text, status, rich: false);

        Assert.DoesNotContain("  silo ", text.ToString());
    }
}
