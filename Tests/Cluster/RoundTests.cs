using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class RoundTests(ResyncClusterFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ResyncDriver _driver = new(fixture.Cluster.Client);
    private long _mark;

    public async Task InitializeAsync()
    {
        await _driver.Reset();
        _mark = ConformanceJournal.Mark();
    }

    public Task DisposeAsync()
    {
        ConformanceControl.Reset();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_join_starts_a_round_that_synchronizes_every_service_on_every_member()
    {
        var change = await _driver.Join("p1", "p2", "p3", "p4");
        Assert.True(change.Changed);

        var summary = await _driver.WaitForRound(change.Configuration.Epoch);

        Assert.Equal(change.Configuration.Epoch, summary.Epoch);
        Assert.Equal(RoundPhase.Completed, summary.Outcome);
        Assert.Equal(ResyncTestSilo.Services, summary.Steps.Select(s => s.Service));
        await _driver.AssertConverged(change.Configuration);
        CallbackLog.AssertLegal(ConformanceJournal.Since(_mark), change.Configuration, ResyncTestSilo.Services, output);
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ResyncClusterFixture>
{
    public const string Name = "cluster";
}
