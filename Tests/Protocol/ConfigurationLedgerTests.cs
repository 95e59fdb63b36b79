using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class ConfigurationLedgerTests
{
    [Fact]
    public void A_change_makes_the_next_epoch_with_sorted_members_and_the_survivors_of_the_previous_one()
    {
        var ledger = new ConfigurationLedger(new Configuration(41, ["b", "c"], []));

        var next = ledger.Join(["a", "a", "d"])!;
        Assert.Equal(42, next.Epoch);
        Assert.Equal(["a", "b", "c", "d"], next.Members.ToArray());
        Assert.Equal(["b", "c"], next.Survivors.ToArray());

        ledger.Commit(next);
        var after = ledger.Remove(["b", "x"])!;
        Assert.Equal(43, after.Epoch);
        Assert.Equal(["a", "c", "d"], after.Members.ToArray());
        Assert.Equal(["a", "c", "d"], after.Survivors.ToArray());
    }

    [Fact]
    public void A_proposal_that_changes_nothing_is_ignored()
    {
        var ledger = new ConfigurationLedger(new Configuration(3, ["a", "b"], ["a"]));

        Assert.Null(ledger.Join(["b"]));
        Assert.Null(ledger.Remove(["z"]));
        Assert.Null(ledger.Propose(["b", "a"]));
        Assert.Equal(3, ledger.Current.Epoch);
    }

    [Fact]
    public void A_renewed_configuration_keeps_the_members_as_survivors_under_the_next_epoch()
    {
        var ledger = new ConfigurationLedger(new Configuration(8, ["a", "b"], ["a"]));

        var renewed = ledger.Renewed();

        Assert.Equal(9, renewed.Epoch);
        Assert.Equal(["a", "b"], renewed.Members.ToArray());
        Assert.Equal(["a", "b"], renewed.Survivors.ToArray());
    }

    [Fact]
    public void Epochs_only_grow()
    {
        var ledger = new ConfigurationLedger(new Configuration(10, ["a"], []));

        Assert.Throws<InvalidOperationException>(() => ledger.Commit(new Configuration(10, ["b"], [])));
        Assert.Throws<InvalidOperationException>(() => ledger.Commit(new Configuration(9, ["b"], [])));
        Assert.Equal(10, ledger.Current.Epoch);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("slash/")]
    public void An_invalid_processor_id_is_refused(string id)
    {
        var ledger = new ConfigurationLedger(Configuration.Initial);
        Assert.Throws<ArgumentException>(() => ledger.Join([id]));
        Assert.Throws<ArgumentException>(() => ledger.Join([new string('x', ProcessorId.MaxLength + 1)]));
    }
}
