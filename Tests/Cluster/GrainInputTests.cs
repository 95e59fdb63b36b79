using Resync.Protocol;
using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Cluster;

/// <summary>Bad input to grain methods that take outside data is refused with a clear error and changes nothing.</summary>
[Collection(ClusterCollection.Name)]
public sealed class GrainInputTests(ResyncClusterFixture fixture) : ClusterTest(fixture)
{
    [Fact]
    public async Task Engine_grains_refuse_ids_steps_epochs_and_configurations_that_do_not_fit()
    {
        var settled = (await Driver.Join("g1", "g2")).Configuration;
        await Driver.WaitForRound(settled.Epoch);
        var future = settled with { Epoch = settled.Epoch + 100 };

        await Refused(() => Driver.Join("bad id"), "not a valid processor id");
        await Refused(() => Driver.Join(new string('x', 200)), "not a valid processor id");
        await Refused(() => Driver.Configuration.Join([]), "at least one processor");
        await Refused(() => Driver.Leave("silo:127.0.0.1:1@1"), "silo processor");
        await Refused(() => Grains.GetGrain<IProcessorGrain>("g1").Step(new RoundStep(future, 7, "conf-a"), Delivery.None), "is not a step");
        await Refused(() => Grains.GetGrain<IProcessorGrain>("g1").Step(new RoundStep(future, 0, "conf-z"), Delivery.None), "is not a step");
        await Refused(() => Grains.GetGrain<IProcessorGrain>("g9").Step(new RoundStep(future, 0, "conf-a") { Services = ResyncTestSilo.Services }, Delivery.None), "not a member");
        await Refused(() => Grains.GetGrain<IProcessorGrain>("g1").Finish(new RoundStep(future, 2, "conf-c") { Services = ResyncTestSilo.Services }, new Delivery(default, 0, 1)), "deliveries");
        await Refused(() => ReplicaOfConfA("g9").Run(new RoundStep(future, 0, "conf-a")), "not a member");
        await Refused(() => ReplicaOfConfA("g1").Run(new RoundStep(future, 1, "conf-b")), "does not run conf-b");
        await Refused(() => ReplicaOfConfA("g1").Activate(future.Epoch, default), "deliveries");
        await Refused(() => Grains.GetGrain<ISequencerGrain>(future.Epoch + 1).Start(future, ResyncTestSilo.Services), "cannot run epoch");
        await Refused(() => Grains.GetGrain<ISequencerGrain>(future.Epoch).Start(future with { Members = ["b", "a"] }, ResyncTestSilo.Services), "sorted");
        await Refused(() => Grains.GetGrain<IProcessorGrain>("g9").Enter(future, ResyncTestSilo.Services), "not a member");
        await Refused(() => Grains.GetGrain<IBarrierGrain>(future.Epoch).Open(future, 0), "not a number of barriers");
        await Refused(() => Grains.GetGrain<IBarrierGrain>(future.Epoch).Open(settled, 3), "cannot open");
        await Refused(() => Grains.GetGrain<ISequencerGrain>(settled.Epoch).Gather("index", new Contribution(settled.Epoch, "conf-a", "g1", 0, [], "late")), "is stale");
        await Refused(() => Grains.GetGrain<ISequencerGrain>(settled.Epoch).Post(default), "No contributions");
        await Refused(() => Driver.Callbacks.Evict(settled.Epoch, [], "test"), "at least one valid processor");
        await Refused(() => Driver.Callbacks.Evict(settled.Epoch, ["bad id"], "test"), "at least one valid processor");
        Assert.False((await Driver.Callbacks.Evict(settled.Epoch - 1, ["g1"], "a stale eviction")).Changed);
        await Refused(() => Driver.Membership.ProposeSilos(long.MaxValue, ["g1"], []), "is not a silo processor");
        await Refused(() => Driver.Membership.ProposeSilos(long.MaxValue, [], ["g1"]), "named by their silo processors");
        await Refused(() => Driver.Membership.SiloReady("g1"), "is not a silo processor");
        await Refused(() => Driver.Membership.SiloReady("bad id"), "not a valid processor id");
        await Refused(() => Driver.Membership.SiloStopping("g1"), "is not a silo processor");
        await Refused(() => Driver.Join("rehearsal:127.0.0.1:1@1"), "rehearsal processor");
        await Refused(() => Driver.Membership.Rehearse("g1"), "is not a silo processor");
        await Refused(() => Driver.Membership.AnnounceServices("S127.0.0.1:1:1", ["conf-a", "conf-a"]), "valid, distinct service name");
        await Refused(() => Driver.Membership.AnnounceServices("S127.0.0.1:1:1", ["no spaces"]), "valid, distinct service name");
        await Refused(() => Grains.GetGrain<ISequencerGrain>(Rehearsal.FirstEpoch).Start(future with { Epoch = Rehearsal.FirstEpoch }, ResyncTestSilo.Services), "is a rehearsal's");
        await Refused(() => Grains.GetGrain<ISequencerGrain>(future.Epoch).Rehearse(future, ResyncTestSilo.Services), "not a rehearsal's");

        Assert.Equal(settled, await Driver.Configuration.GetConfiguration());
        var status = await Driver.Status();
        Assert.Equal(RoundPhase.Completed, status.Round!.Phase);
        await Driver.AssertConverged(settled);
    }

    private ISyncReplica ReplicaOfConfA(string processor) => Grains.GetGrain<ISyncReplica>(processor, typeof(ConformanceA).FullName);

    private static async Task Refused(Func<Task> call, string message)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(call);
        Assert.Contains(message, error.Message);
    }
}
