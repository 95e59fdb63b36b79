using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class ReplicaLifecycleTests
{
    private static ReplicaLifecycle DoneAt(long epoch)
    {
        var replica = new ReplicaLifecycle();
        replica.Gate(epoch, out _);
        replica.Init(epoch);
        replica.ProcessDone(epoch);
        return replica;
    }

    [Fact]
    public void A_round_runs_gate_init_process_activate_and_activate_runs_exactly_once()
    {
        var replica = new ReplicaLifecycle();
        Assert.Equal(ReplicaVerdict.Apply, replica.Gate(3, out var superseded));
        Assert.Equal(0, superseded);
        Assert.True(replica.IsGated);
        Assert.Equal(ReplicaVerdict.Apply, replica.Init(3));
        Assert.True(replica.CanProcess(3));
        Assert.True(replica.ProcessDone(3));
        Assert.False(replica.CanProcess(3));
        Assert.Equal(ReplicaVerdict.Apply, replica.Activate(3));
        Assert.Equal(ReplicaVerdict.Duplicate, replica.Activate(3));
        Assert.Equal(3, replica.ActivatedEpoch);
        Assert.False(replica.IsGated);
    }

    [Fact]
    public void A_replicated_write_waits_only_on_a_replica_whose_merge_is_behind_it_and_whose_activation_is_pending()
    {
        var replica = new ReplicaLifecycle();
        var waits = new List<(string Phase, bool Waits)> { ("idle", replica.ReplicatedWriteWaits) };
        replica.Gate(3, out _);
        waits.Add(("gated", replica.ReplicatedWriteWaits));
        replica.Init(3);
        waits.Add(("initialized", replica.ReplicatedWriteWaits));
        replica.ProcessDone(3);
        waits.Add(("done", replica.ReplicatedWriteWaits));
        replica.Activate(3);
        waits.Add(("activated", replica.ReplicatedWriteWaits));
        var aborted = DoneAt(4);
        aborted.Abort(4);
        waits.Add(("aborted", aborted.ReplicatedWriteWaits));

        Assert.Equal([("idle", false), ("gated", false), ("initialized", false), ("done", true), ("activated", false), ("aborted", false)], waits);
    }

    [Fact]
    public void A_replica_asked_to_activate_an_epoch_it_never_initialized_missed_that_round()
    {
        Assert.Equal(ReplicaVerdict.Missed, new ReplicaLifecycle().Activate(4));

        var done = DoneAt(5);
        Assert.Equal(ReplicaVerdict.Missed, done.Activate(6));
        Assert.Equal(ReplicaVerdict.Stale, done.Activate(4));
        Assert.Equal(ReplicaVerdict.Apply, done.Activate(5));
    }

    [Fact]
    public void Activate_never_runs_before_process_answered_done()
    {
        var replica = new ReplicaLifecycle();
        replica.Gate(3, out _);
        Assert.Throws<InvalidOperationException>(() => replica.Activate(3));
        replica.Init(3);
        Assert.Throws<InvalidOperationException>(() => replica.Activate(3));
    }

    [Fact]
    public void Init_never_runs_before_the_replica_was_gated()
    {
        Assert.Throws<InvalidOperationException>(() => new ReplicaLifecycle().Init(1));
    }

    [Theory]
    [InlineData("gated", 0L)]
    [InlineData("initialized", 5L)]
    [InlineData("done", 5L)]
    public void Abort_reaches_the_replica_in_every_phase_and_discards_only_what_init_staged(string phase, long staged)
    {
        var replica = new ReplicaLifecycle();
        replica.Gate(5, out _);
        if (phase != "gated") replica.Init(5);
        if (phase == "done") replica.ProcessDone(5);

        Assert.Equal(staged, replica.Abort(5));
        Assert.False(replica.IsGated);
        Assert.Equal(ReplicaPhase.Aborted, replica.Phase);
    }

    [Fact]
    public void Abort_is_idempotent_and_harmless_after_activation()
    {
        var aborted = DoneAt(5);
        Assert.Equal(5, aborted.Abort(5));
        Assert.Equal(0, aborted.Abort(5));

        var activated = DoneAt(5);
        activated.Activate(5);
        Assert.Equal(0, activated.Abort(5));
        Assert.Equal(ReplicaPhase.Activated, activated.Phase);
        Assert.Equal(5, activated.ActivatedEpoch);
    }

    [Fact]
    public void After_an_abort_nothing_of_that_epoch_is_applied_and_activate_is_disarmed()
    {
        var replica = DoneAt(5);
        replica.Abort(5);

        Assert.Equal(ReplicaVerdict.Stale, replica.Activate(5));
        Assert.Equal(ReplicaVerdict.Stale, replica.Gate(5, out _));
        Assert.Equal(ReplicaVerdict.Stale, replica.Init(5));
        Assert.False(replica.CanProcess(5));
        Assert.Equal(0, replica.ActivatedEpoch);
    }

    [Fact]
    public void Process_is_not_called_again_once_the_round_is_aborted()
    {
        var replica = new ReplicaLifecycle();
        replica.Gate(5, out _);
        replica.Init(5);
        replica.Abort(5);

        Assert.False(replica.CanProcess(5));
        Assert.False(replica.ProcessDone(5));
    }

    [Fact]
    public void An_abort_that_overtakes_its_round_invalidates_the_epoch()
    {
        var replica = new ReplicaLifecycle();
        Assert.Equal(0, replica.Abort(9));
        Assert.Equal(ReplicaVerdict.Stale, replica.Gate(9, out _));
        Assert.Equal(ReplicaVerdict.Apply, replica.Gate(10, out _));
    }

    [Fact]
    public void A_newer_epoch_supersedes_staged_state_whose_abort_has_not_arrived_and_older_traffic_is_stale()
    {
        var replica = DoneAt(5);

        Assert.Equal(ReplicaVerdict.Apply, replica.Gate(6, out var superseded));
        Assert.Equal(5, superseded);
        Assert.Equal(ReplicaVerdict.Stale, replica.Activate(5));
        Assert.Equal(ReplicaVerdict.Stale, replica.Gate(5, out _));
        Assert.Equal(ReplicaVerdict.Stale, replica.Init(4));
        Assert.Equal(0, replica.Abort(5));
        Assert.True(replica.IsGated);
    }

    [Fact]
    public void A_repeated_gate_or_init_of_the_same_round_is_a_harmless_duplicate()
    {
        var replica = new ReplicaLifecycle();
        replica.Gate(2, out _);
        Assert.Equal(ReplicaVerdict.Duplicate, replica.Gate(2, out _));
        replica.Init(2);
        Assert.Equal(ReplicaVerdict.Duplicate, replica.Init(2));
        Assert.Equal(ReplicaPhase.Initialized, replica.Phase);
    }
}
