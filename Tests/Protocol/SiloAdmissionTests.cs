using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class SiloAdmissionTests
{
    private static readonly Configuration Empty = Configuration.Initial;

    [Fact]
    public void An_active_silo_is_admitted_only_once_it_said_it_is_ready_in_either_order()
    {
        var admission = new SiloAdmission([], []);
        admission.Propose(["silo:a", "silo:b"]);
        Assert.Empty(admission.Admitted(Empty));

        admission.MarkReady("silo:b");
        Assert.Equal(["silo:b"], admission.Admitted(Empty));

        admission.MarkReady("silo:c");
        Assert.Equal(["silo:b"], admission.Admitted(Empty));
        admission.Propose(["silo:a", "silo:b", "silo:c"]);
        Assert.Equal(["silo:b", "silo:c"], admission.Admitted(Empty));
    }

    [Fact]
    public void A_silo_that_is_no_longer_active_is_dropped_and_must_say_it_is_ready_again()
    {
        var admission = new SiloAdmission(["silo:a"], ["silo:a"]);
        admission.Propose([]);
        Assert.Empty(admission.Ready);

        admission.Propose(["silo:a"]);
        Assert.Empty(admission.Admitted(Empty));
    }

    [Fact]
    public void A_stopping_silo_leaves_at_once_and_a_late_proposal_that_still_lists_it_does_not_take_it_back()
    {
        var admission = new SiloAdmission(["silo:a", "silo:b"], ["silo:a", "silo:b"]);
        var members = new Configuration(4, ["silo:a", "silo:b"], ["silo:a", "silo:b"]);

        admission.MarkStopping("silo:b");
        Assert.Equal(["silo:a"], admission.Admitted(members));

        var without = new Configuration(5, ["silo:a"], ["silo:a"]);
        admission.Propose(["silo:a", "silo:b"]);
        Assert.Equal(["silo:a"], admission.Admitted(without));
    }

    [Fact]
    public void A_silo_processor_that_is_already_a_member_stays_while_its_silo_is_active()
    {
        var admission = new SiloAdmission([], []);
        var members = new Configuration(4, ["p1", "silo:a"], ["p1", "silo:a"]);
        admission.Propose(["silo:a", "silo:b"]);
        Assert.Equal(["silo:a"], admission.Admitted(members));

        admission.Propose(["silo:b"]);
        Assert.Empty(admission.Admitted(members));
    }

    [Fact]
    public void A_departure_is_news_once_and_the_newest_departures_are_kept_across_a_copy()
    {
        var admission = new SiloAdmission([], [], ["silo:a@1"]);
        Assert.Empty(admission.NewlyDeparted(["silo:a@1"]));
        Assert.Equal(["silo:b@1"], admission.NewlyDeparted(["silo:b@1", "silo:b@1", "silo:a@1"]).ToArray());
        Assert.Empty(admission.NewlyDeparted(["silo:b@1"]));
        Assert.Equal(["silo:a@2"], admission.NewlyDeparted(["silo:a@2"]).ToArray());

        var copy = admission.Copy();
        Assert.Equal(["silo:c@1"], admission.NewlyDeparted(["silo:c@1"]).ToArray());
        Assert.Equal(["silo:c@1"], copy.NewlyDeparted(["silo:c@1"]).ToArray());

        // Only the newest are remembered: the oldest departure is news again once enough others came after it.
        var many = Enumerable.Range(0, SiloAdmission.DepartedKept).Select(i => $"silo:m@{i}").ToArray();
        Assert.Equal(many, admission.NewlyDeparted(many).ToArray());
        Assert.Equal(many, admission.Departed.ToArray());
        Assert.Equal(["silo:a@1"], admission.NewlyDeparted(["silo:a@1"]).ToArray());
    }
}
