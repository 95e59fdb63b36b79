using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class RoundTests(ResyncClusterFixture fixture, ITestOutputHelper output) : ClusterTest(fixture)
{
    private long _mark;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _mark = ConformanceJournal.Mark();
    }

    [Fact]
    public async Task A_join_starts_a_round_that_synchronizes_every_service_on_every_member()
    {
        var change = await Driver.Join("p1", "p2", "p3", "p4");
        Assert.True(change.Changed);

        var summary = await Driver.WaitForRound(change.Configuration.Epoch);

        Assert.Equal(change.Configuration.Epoch, summary.Epoch);
        Assert.Equal(RoundPhase.Completed, summary.Outcome);
        Assert.Equal(ResyncTestSilo.Services, summary.Steps.Select(s => s.Service));
        await Driver.AssertConverged(change.Configuration);
        CallbackLogAssertions.AssertLegal(ConformanceJournal.Since(_mark), change.Configuration, ResyncTestSilo.Services, output);
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ResyncClusterFixture>
{
    public const string Name = "cluster";
}
