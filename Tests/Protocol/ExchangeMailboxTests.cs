using Resync.Tests.Infrastructure;
using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class ExchangeMailboxTests(ITestOutputHelper output)
{
    private static Contribution From(string sender, int sequence, long epoch = 5, string service = "clm", string? to = null) =>
        new(epoch, service, sender, sequence, to is null ? [] : [to], $"{sender}#{sequence}");

    [Fact]
    public void Contributions_of_another_epoch_or_service_are_dropped_counted_and_never_collected()
    {
        var mailbox = new ExchangeMailbox(5, "clm", ["p1", "p2", "p3"]);
        mailbox.Post(From("p1", 0, epoch: 4));
        mailbox.Post(From("p1", 1, epoch: 6));
        mailbox.Post(From("p1", 2, service: "evt"));
        mailbox.Post(From("p1", 3));

        Assert.Equal(3, mailbox.Stale);
        Assert.Equal(["p1#3"], mailbox.Collect("p2").Select(c => c.Payload));
    }

    [Fact]
    public void A_contribution_from_a_processor_that_is_not_a_member_of_the_epoch_is_stale()
    {
        var mailbox = new ExchangeMailbox(5, "clm", ["p1", "p2"]);
        mailbox.Post(From("p9", 0));

        Assert.Equal(1, mailbox.Stale);
        Assert.Empty(mailbox.Collect("p1"));
    }

    [Fact]
    public void A_repeated_post_is_counted_once()
    {
        var mailbox = new ExchangeMailbox(5, "clm", ["p1", "p2", "p3"]);
        mailbox.Post(From("p1", 0));
        mailbox.Post(From("p1", 0));

        Assert.Equal(1, mailbox.Duplicate);
        Assert.Single(mailbox.Collect("p1"));
    }

    [Fact]
    public void A_recipient_collects_what_was_sent_to_it_or_to_all()
    {
        var mailbox = new ExchangeMailbox(5, "clm", ["p1", "p2", "p3"]);
        mailbox.Post(From("p1", 0, to: "p2"));
        mailbox.Post(From("p1", 1, to: "p3"));
        mailbox.Post(From("p1", 2));

        Assert.Equal(["p1#0", "p1#2"], mailbox.Collect("p2").Select(c => c.Payload));
    }

    [Fact]
    public async Task A_gathering_completes_with_every_members_contribution_once_the_last_member_gathers()
    {
        ImmutableArray<string> members = ["p1", "p2", "p3"];
        var mailbox = new ExchangeMailbox(5, "ckpt", members);

        var first = mailbox.Gather("index", From("p3", 0, service: "ckpt"));
        var second = mailbox.Gather("index", From("p1", 0, service: "ckpt"));
        Assert.False(first.IsCompleted || second.IsCompleted);
        var last = mailbox.Gather("index", From("p2", 0, service: "ckpt"));

        Assert.Equal(["p1#0", "p2#0", "p3#0"], (await first).Select(c => c.Payload).ToArray());
        Assert.Equal((await first).ToArray(), (await last).ToArray());
        await Assert.ThrowsAsync<ArgumentException>(() => mailbox.Gather("index", From("p9", 0, service: "ckpt")));
        await Assert.ThrowsAsync<ArgumentException>(() => mailbox.Gather("index", From("p1", 1, epoch: 4, service: "ckpt")));
        Assert.Equal(2, mailbox.Stale);
    }

    [Fact]
    public void Collection_order_does_not_depend_on_arrival_order()
    {
        var random = new Random(TestSeed.Next(output));
        var contributions = Enumerable.Range(0, 12).SelectMany(p => Enumerable.Range(0, 4).Select(i => From($"p{p:D2}", i))).ToArray();

        ImmutableArray<object>? first = null;
        for (var trial = 0; trial < 20; trial++)
        {
            var mailbox = new ExchangeMailbox(5, "clm", [.. contributions.Select(c => c.Sender).Distinct()]);
            foreach (var contribution in contributions.OrderBy(_ => random.Next()))
            {
                mailbox.Post(contribution);
            }

            var collected = mailbox.Collect("p00").Select(c => c.Payload).ToImmutableArray();
            first ??= collected;
            Assert.Equal(first.Value.ToArray(), collected.ToArray());
        }

        Assert.Equal(contributions.Select(c => c.Payload).ToArray(), first!.Value.ToArray());
    }
}
