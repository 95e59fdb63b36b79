using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class ServiceExchangeTests
{
    private static Contribution From(string sender, long epoch, int sequence = 0, string service = "clm", string? to = null) =>
        new(epoch, service, sender, sequence, to is null ? [] : [to], $"{sender}@{epoch}#{sequence}");

    [Fact]
    public void Traffic_before_the_exchange_is_opened_for_its_epoch_or_from_a_non_member_is_stale()
    {
        var exchange = new ServiceExchange("clm");
        exchange.Post(From("p1", 5));
        Assert.Equal(1, exchange.Stale);

        Assert.True(exchange.Open(5, ["p1", "p2"]));
        exchange.Post(From("p9", 5));
        exchange.Post(From("p1", 4));
        exchange.Post(From("p1", 6));
        exchange.Post(From("p1", 5, service: "evt"));
        exchange.Post(From("p1", 5));
        exchange.Post(From("p1", 5));

        Assert.Equal(5, exchange.Stale);
        Assert.Equal(1, exchange.Duplicate);
        Assert.Equal(["p1@5#0"], exchange.Collect(5, "p2").Select(c => c.Payload));
    }

    [Fact]
    public async Task Opening_a_newer_epoch_drops_the_older_mailbox_and_fails_its_waiting_gatherings_while_an_older_open_changes_nothing()
    {
        var exchange = new ServiceExchange("ckpt");
        exchange.Open(5, ["p1", "p2"]);
        exchange.Post(From("p1", 5, service: "ckpt"));
        var waiting = exchange.Gather("index", From("p1", 5, 1, service: "ckpt"));

        Assert.True(exchange.Open(6, ["p2", "p3"]));
        Assert.False(exchange.Open(5, ["p1", "p2"]));
        Assert.False(exchange.Open(6, ["p2"]));

        await Assert.ThrowsAsync<InvalidOperationException>(() => waiting);
        Assert.Empty(exchange.Collect(5, "p2"));
        Assert.Equal(6, exchange.Epoch);
        exchange.Post(From("p1", 6, service: "ckpt"));
        exchange.Post(From("p3", 6, service: "ckpt"));
        Assert.Equal(["p3@6#0"], exchange.Collect(6, "p2").Select(c => c.Payload));
        Assert.Equal(1, exchange.Stale);
    }

    [Fact]
    public void Every_member_collects_the_same_sorted_list_and_addressed_contributions_reach_only_their_recipients()
    {
        var exchange = new ServiceExchange("clm");
        exchange.Open(3, ["p1", "p2", "p3"]);
        exchange.Post(From("p3", 3));
        exchange.Post(From("p1", 3));
        Assert.Equal(["p1@3#0", "p3@3#0"], exchange.Collect(3, "p2").Select(c => c.Payload));
        Assert.True(exchange.Collect(3, "p1") == exchange.Collect(3, "p2"), "a broadcast-only mailbox shares one sorted list");

        exchange.Post(From("p2", 3, 1, to: "p3"));
        Assert.Equal(["p1@3#0", "p3@3#0"], exchange.Collect(3, "p1").Select(c => c.Payload));
        Assert.Equal(["p1@3#0", "p2@3#1", "p3@3#0"], exchange.Collect(3, "p3").Select(c => c.Payload));
    }
}
