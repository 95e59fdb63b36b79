namespace Resync.Tests.Reference;

/// <summary>Deleted stays deleted, closed stays closed, once tombstones are pruned (issue 19 point 5), between three silos.</summary>
[Collection(ReferenceCollection.Name)]
public sealed class TombstoneTests(ReferenceClusterFixture fixture) : IAsyncLifetime
{
    private readonly ReferenceDriver _driver = new(fixture.Cluster.Client);

    public Task InitializeAsync() => _driver.Reset();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_processor_that_left_before_a_deletion_and_returns_after_its_tombstone_was_pruned_does_not_bring_the_checkpoint_back()
    {
        await _driver.Settle(_driver.Engine.Join("t1", "t2", "away"));
        await _driver.Ckpt("t1").Create("doomed");
        await _driver.Ckpt("t1").Write("doomed", "s", [1, 2, 3]);
        await _driver.Settle(_driver.Engine.Leave("away"));

        await _driver.Ckpt("t1").Delete("doomed");
        // The retention has to pass: it is measured on the silos' clocks. Any write then prunes on every member.
        await Task.Delay(ReferenceTestSilo.TombstoneRetention + TimeSpan.FromMilliseconds(200));
        await _driver.Ckpt("t1").Create("poke");
        Assert.Equal(["doomed"], (await _driver.Ckpt("away").List()).Select(c => c.Name).ToArray());

        var back = await _driver.Settle(_driver.Engine.Join("away"));
        foreach (var member in back.Members)
        {
            Assert.Equal(["poke"], (await _driver.Ckpt(member).List()).Select(c => c.Name).ToArray());
        }

        await _driver.AssertIdentical();
    }

    [Fact]
    public async Task A_processor_that_left_before_a_channel_closed_and_returns_after_its_tombstone_was_pruned_does_not_reopen_it()
    {
        await _driver.Settle(_driver.Engine.Join("t1", "t2", "away"));
        await _driver.Evt("t1").OpenChannel("closing");
        await _driver.Evt("t1").Publish("closing", [1], TimeSpan.FromHours(1));
        await _driver.Settle(_driver.Engine.Leave("away"));

        await _driver.Evt("t1").CloseChannel("closing");
        // As above: the retention passes on the silos' clocks, and the next channel write prunes.
        await Task.Delay(ReferenceTestSilo.TombstoneRetention + TimeSpan.FromMilliseconds(200));
        await _driver.Evt("t1").OpenChannel("poke");

        var back = await _driver.Settle(_driver.Engine.Join("away"));
        foreach (var member in back.Members)
        {
            Assert.Equal(["poke"], (await _driver.Evt(member).ListChannels()).Select(c => c.Name).ToArray());
        }

        await _driver.AssertIdentical();
    }
}
