using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Cluster;

/// <summary>Stale-epoch, duplicate and non-member traffic is refused or ignored, counted, and changes nothing (items 3 and 7).</summary>
[Collection(ClusterCollection.Name)]
public sealed class InjectionTests(ResyncClusterFixture fixture, ITestOutputHelper output) : ClusterTest(fixture)
{
    [Fact]
    public async Task Injected_stale_duplicate_and_non_member_barrier_requests_are_dropped_counted_and_change_nothing()
    {
        var old = (await Driver.Join("p1", "p2", "p3")).Configuration;
        await Driver.WaitForRound(old.Epoch);
        var hold = ConformanceControl.HoldAt("activate", "conf-a", "p1");
        var roundStart = ConformanceJournal.Mark();
        var current = (await Driver.Join("p4")).Configuration;
        var epoch = current.Epoch;
        await Driver.WaitForStatus(s => s.Round is { Phase: RoundPhase.Processing, Step: 1 } r && r.Epoch == epoch && r.Pending.SequenceEqual(["p1"]), "barrier 2 waits for p1");
        var before = (await Driver.Status()).Dropped;
        var mark = ConformanceJournal.Mark();

        var barrier = Grains.GetGrain<IBarrierGrain>(epoch);
        Assert.Equal(BarrierVerdict.Stale, await barrier.Arrive(new(old.Epoch, 1, "p1")));
        Assert.Equal(BarrierVerdict.Stale, await Grains.GetGrain<IBarrierGrain>(old.Epoch).Arrive(new(old.Epoch, 1, "p1")));
        Assert.Equal(BarrierVerdict.Refused, await barrier.Arrive(new(epoch, 1, "p99")));
        Assert.Equal(BarrierVerdict.Refused, await barrier.Arrive(new(epoch, 7, "p1")));
        Assert.Equal(BarrierVerdict.Duplicate, await barrier.Arrive(new(epoch, 1, "p2")));
        Assert.Equal(BarrierVerdict.Duplicate, await barrier.Arrive(new(epoch, 0, "p1")));

        // Stale notices and round traffic change nothing either.
        await Grains.GetGrain<IProcessorGrain>("p2").Step(new RoundStep(old, 2, "conf-c") { Services = ResyncTestSilo.Services }, Delivery.None);
        await Grains.GetGrain<IProcessorGrain>("p2").Abort(old.Epoch, ResyncTestSilo.Services);
        await Assert.ThrowsAsync<ArgumentException>(() => Grains.GetGrain<ISequencerGrain>(epoch).Gather("index",
            new Contribution(old.Epoch, "conf-b", "p99", 0, [], new ConformanceRecord("p99", old.Epoch))));

        // Stale and repeated replica callbacks: an old epoch's run and activation (stale), and a run of the step
        // this replica already finished (duplicate).
        var replicaOfA = Grains.GetGrain<ISyncReplica>("p2", typeof(ConformanceA).FullName);
        await replicaOfA.Run(new RoundStep(old, 0, "conf-a") { Services = ResyncTestSilo.Services });
        await replicaOfA.Activate(old.Epoch, []);
        await replicaOfA.Run(new RoundStep(current, 0, "conf-a") { Services = ResyncTestSilo.Services });

        Assert.Equal(["p1"], (await barrier.GetMissing(2)).ToArray());
        // Drops are reported to the configuration grain one-way; wait until the report has arrived.
        // Stale: two barrier requests, the step notice, the gathering and the replica's two callbacks; duplicate: two
        // barrier requests and the replica's repeated run.
        var expected = new DropCounts(before.Stale + 6, before.Refused + 2, before.Duplicate + 3);
        await Driver.WaitForStatus(s => s.Dropped.Stale >= expected.Stale && s.Dropped.Refused >= expected.Refused && s.Dropped.Duplicate >= expected.Duplicate, "drop reports");
        Assert.Equal(expected, (await Driver.Status()).Dropped);
        Assert.Empty(ConformanceJournal.Since(mark));

        hold.Release();
        await Driver.WaitForRound(epoch);
        CallbackLogAssertions.AssertLegal(ConformanceJournal.Since(roundStart), current, ResyncTestSilo.Services, output);
        await Driver.AssertConverged(current);
        var history = await Driver.Configuration.GetHistory();
        Assert.Equal(RoundPhase.Completed, history.Single(r => r.Epoch == epoch).Outcome);
    }
}
