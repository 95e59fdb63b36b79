using Resync.Protocol;
using Resync.Replicas;
using Resync.Services;

namespace Resync.Tests.Protocol;

public sealed class RehearsalEpochTests
{
    private const string SiloA = "silo:127.0.0.1:11111@1";
    private const string SiloB = "silo:127.0.0.1:11112@1";

    [Fact]
    public void A_silos_rehearsal_is_its_rehearsal_processor_alone_under_an_epoch_of_its_own_above_every_deployment_epoch()
    {
        var a = Rehearsal.Of(SiloA);
        Assert.Equal("rehearsal:127.0.0.1:11111@1", Assert.Single(a.Members));
        Assert.Empty(a.Survivors);
        Assert.True(Rehearsal.IsRehearsal(a.Epoch));
        Assert.Equal(a, Rehearsal.Of(SiloA));
        Assert.NotEqual(a.Epoch, Rehearsal.Of(SiloB).Epoch);
        Assert.False(Rehearsal.IsRehearsal(Rehearsal.FirstEpoch - 1));
        Assert.True(ProcessorId.IsValid(a.Members[0]));
        Assert.True(new SyncRound(new RoundChannel(new RoundStep(a, 0, "clm"), a.Members[0], () => throw new InvalidOperationException())).IsRehearsal);
        Assert.False(new SyncRound(new RoundChannel(new RoundStep(new Configuration(7, ["p1"], []), 0, "clm"), "p1", () => throw new InvalidOperationException())).IsRehearsal);
    }

    [Fact]
    public void Silo_and_rehearsal_processors_name_their_home_silo_and_logical_ones_have_none()
    {
        Assert.Equal("127.0.0.1:11111@1", ProcessorId.HomeSilo(SiloA));
        Assert.Equal("127.0.0.1:11111@1", ProcessorId.HomeSilo(ProcessorId.RehearsalOf(SiloA)));
        Assert.Null(ProcessorId.HomeSilo("logical-1"));
        Assert.True(ProcessorId.IsRehearsal(ProcessorId.RehearsalOf(SiloA)));
        Assert.False(ProcessorId.IsSilo(ProcessorId.RehearsalOf(SiloA)));
        Assert.Throws<ArgumentException>(() => ProcessorId.RehearsalOf("logical-1"));
    }
}
