using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class ForwardingTests
{
    private static Contribution Chunk(string sender, int sequence, long epoch = 5, string service = "ckpt", params string[] to) =>
        new(epoch, service, sender, sequence, [.. to], $"{sender}#{sequence}") { Bytes = 1000 };

    private static Contribution Small(string sender, int sequence, params string[] to) =>
        new(5, "ckpt", sender, sequence, [.. to], $"{sender}#{sequence}");

    [Fact]
    public void Only_a_large_send_addressed_to_some_members_goes_straight_to_them()
    {
        Assert.True(Forwarding.Goes(Chunk("p1", 0, to: "p3"), minBytes: 1000));
        Assert.False(Forwarding.Goes(Chunk("p1", 0), minBytes: 1000), "a send to every member goes through the sequencer");
        Assert.False(Forwarding.Goes(Chunk("p1", 0, to: "p3"), minBytes: 1001), "a smaller send goes through the sequencer");
        Assert.False(Forwarding.Goes(Small("p1", 0, "p3"), minBytes: Contribution.UnmeasuredBytes + 1), "a payload that nobody measured counts as small");
    }

    [Fact]
    public void A_stand_in_keeps_the_contribution_s_identity_and_is_never_forwarded_again()
    {
        var chunk = Chunk("p1", 7, to: "p3");
        var standIn = Forwarding.StandIn(chunk);

        Assert.Equal((chunk.Epoch, chunk.Service, chunk.Sender, chunk.Sequence), (standIn.Epoch, standIn.Service, standIn.Sender, standIn.Sequence));
        Assert.Equal(chunk.Recipients, standIn.Recipients);
        Assert.IsType<Forwarded>(standIn.Payload);
        Assert.False(Forwarding.Goes(standIn, minBytes: 1));
    }

    [Fact]
    public void Resolving_puts_every_forwarded_payload_back_in_the_delivered_order_and_leaves_the_rest()
    {
        var forwarded = new[] { Chunk("p1", 0, to: "p3"), Chunk("p1", 2, to: "p3"), Chunk("p2", 0, to: "p3") };
        ImmutableArray<Contribution> delivered = [Forwarding.StandIn(forwarded[0]), Small("p1", 1), Forwarding.StandIn(forwarded[1]), Forwarding.StandIn(forwarded[2])];

        Assert.True(Forwarding.HasStandIns(delivered));
        var resolved = Forwarding.Resolve(delivered, [forwarded[2], forwarded[0], forwarded[1]], "test");

        Assert.Equal<Contribution>([forwarded[0], delivered[1], forwarded[1], forwarded[2]], resolved);
        Assert.False(Forwarding.HasStandIns(resolved));
    }

    [Fact]
    public void A_forwarded_payload_that_never_arrived_or_belongs_to_another_round_fails_the_delivery()
    {
        var chunk = Chunk("p1", 0, to: "p3");
        ImmutableArray<Contribution> delivered = [Forwarding.StandIn(chunk)];

        var missing = Assert.Throws<InvalidOperationException>(() => Forwarding.Resolve(delivered, [], "epoch 5: the delivery of step 2 to p3"));
        Assert.Contains("contribution 0 of p1", missing.Message);
        Assert.Contains("epoch 5: the delivery of step 2 to p3", missing.Message);
        Assert.Throws<InvalidOperationException>(() => Forwarding.Resolve(delivered, [Chunk("p1", 0, epoch: 4, to: "p3")], "test"));
        Assert.Throws<InvalidOperationException>(() => Forwarding.Resolve(delivered, [Chunk("p1", 0, to: "p4")], "test"));
    }

    [Fact]
    public void An_inbox_holds_a_round_s_forwards_per_service_and_a_repeated_put_once()
    {
        var inbox = new ForwardedInbox();
        Assert.Equal(0, inbox.Put([Chunk("p1", 0, to: "p3"), Chunk("p1", 1, to: "p3"), Chunk("p2", 0, service: "user", to: "p3")]));
        Assert.Equal(0, inbox.Put([Chunk("p1", 1, to: "p3")]));

        Assert.Equal(2, inbox.Read(5, "ckpt").Length);
        Assert.Single(inbox.Read(5, "user"));
        Assert.Equal(2, inbox.Read(5, "ckpt").Length);

        inbox.Release(5, "ckpt");
        Assert.Empty(inbox.Read(5, "ckpt"));
        Assert.Equal(1, inbox.Count);
    }

    [Fact]
    public void A_newer_round_forgets_the_older_ones_and_what_still_comes_for_them_is_refused()
    {
        var inbox = new ForwardedInbox();
        inbox.Put([Chunk("p1", 0, epoch: 5, to: "p3")]);
        inbox.Put([Chunk("p1", 0, epoch: 6, to: "p3")]);

        Assert.Empty(inbox.Read(5, "ckpt"));
        Assert.Equal(1, inbox.Put([Chunk("p1", 1, epoch: 5, to: "p3")]));
        Assert.Single(inbox.Read(6, "ckpt"));
        Assert.Equal(1, inbox.Count);
    }

    [Fact]
    public void A_dropped_round_is_forgotten_and_its_late_puts_are_refused_while_a_newer_round_s_are_kept()
    {
        var inbox = new ForwardedInbox();
        inbox.Put([Chunk("p1", 0, to: "p3")]);
        inbox.Drop(5);

        Assert.Equal(0, inbox.Count);
        Assert.Equal(1, inbox.Put([Chunk("p1", 1, to: "p3")]));
        Assert.Empty(inbox.Read(5, "ckpt"));
        Assert.Equal(0, inbox.Put([Chunk("p1", 0, epoch: 6, to: "p3")]));
        Assert.Single(inbox.Read(6, "ckpt"));
    }
}
