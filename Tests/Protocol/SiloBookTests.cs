using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class SiloBookTests
{
    private const string A = "silo:127.0.0.1:1@1";
    private const string B = "silo:127.0.0.1:2@1";

    [Fact]
    public void A_proposal_makes_a_new_book_and_leaves_the_old_one_as_it_was_until_the_grain_keeps_the_new_one()
    {
        var book = new SiloBook(3, new SiloAdmission([A], [A]));
        var (next, departed) = book.Propose(4, [B], [A]);

        Assert.Equal([A], departed.ToArray());
        Assert.Equal(4, next.MembershipVersion);
        Assert.Equal([B], next.Admission.Active.ToArray());
        Assert.Equal(3, book.MembershipVersion);
        Assert.Equal([A], book.Admission.Active.ToArray());
        Assert.Empty(book.Admission.Departed);
    }

    [Fact]
    public void A_proposal_not_newer_than_the_one_applied_is_stale()
    {
        var book = new SiloBook(5, new SiloAdmission([], []));
        Assert.True(book.IsStale(5));
        Assert.True(book.IsStale(4));
        Assert.False(book.IsStale(6));
    }

    [Fact]
    public void A_silo_is_admitted_when_active_and_ready_and_a_mark_changes_only_the_new_book()
    {
        var ledger = new ConfigurationLedger(Configuration.Initial);
        var (active, _) = new SiloBook(0, new SiloAdmission([], [])).Propose(1, [A], []);
        Assert.Null(active.Admit(ledger));

        var ready = active.With(static (a, p) => a.MarkReady(p), A);
        Assert.Empty(active.Admission.Ready);
        Assert.Equal([A], ready.Admit(ledger)!.Members.ToArray());
    }

    [Theory]
    [InlineData("silo:127.0.0.1:1@1", "is a silo processor")]
    [InlineData("rehearsal:127.0.0.1:1@1", "rehearsal processor")]
    [InlineData("bad id", "valid")]
    public void A_client_names_only_logical_processors(string processor, string refusal)
    {
        var error = Assert.Throws<ArgumentException>(() => MembershipRequests.Logical([processor]));
        Assert.Contains(refusal, error.Message);
        Assert.Throws<ArgumentException>(() => MembershipRequests.Logical([]));
        Assert.Equal(["p1"], MembershipRequests.Logical(["p1"]).ToArray());
    }

    [Fact]
    public void A_silo_names_only_silo_processors_and_an_eviction_names_at_least_one_valid_processor()
    {
        Assert.Contains("not a silo processor", Assert.Throws<ArgumentException>(() => MembershipRequests.Silo("p1", "processor")).Message);
        Assert.Equal(A, MembershipRequests.Silo(A, "processor"));
        Assert.Throws<ArgumentException>(() => MembershipRequests.Proposal([A], ["p1"]));
        Assert.Throws<ArgumentException>(() => MembershipRequests.Proposal([A], default));
        MembershipRequests.Proposal([A, B], [A]);
        Assert.Throws<ArgumentException>(() => MembershipRequests.Evicted([]));
        Assert.Throws<ArgumentException>(() => MembershipRequests.Evicted(["bad id"]));
        Assert.Equal(["p1"], MembershipRequests.Evicted(["p1"]).ToArray());
    }
}
