using Resync.Services;

namespace Resync.Tests.Services;

public sealed class WriteReplicationTests
{
    private static Task Refused(string peer) => Task.FromException(new RecoveryInProgressException(7, "map", peer));

    [Fact]
    public async Task A_write_every_peer_applied_is_acknowledged() =>
        await WriteReplication.AppliedEverywhereAsync([Task.CompletedTask, Task.CompletedTask], "map", "p1");

    [Fact]
    public async Task A_write_no_peer_applied_fails_with_the_refusal_itself_so_that_a_retry_is_safe()
    {
        var refusal = await Assert.ThrowsAsync<RecoveryInProgressException>(() =>
            WriteReplication.AppliedEverywhereAsync([Refused("p2"), Refused("p3")], "map", "p1"));

        Assert.Equal("p2", refusal.Processor);
    }

    [Fact]
    public async Task A_write_some_peers_applied_and_another_refused_is_in_doubt_and_says_how_far_it_got()
    {
        var doubt = await Assert.ThrowsAsync<WriteOutcomeUnknownException>(() =>
            WriteReplication.AppliedEverywhereAsync([Task.CompletedTask, Refused("p3"), Task.CompletedTask], "map", "p1"));

        Assert.Equal((2, 4), (doubt.Applied, doubt.Replicas));
        Assert.IsType<RecoveryInProgressException>(doubt.InnerException);
        Assert.Contains("read after the round before you retry", doubt.Message);
    }

    [Fact]
    public async Task A_write_that_waits_for_a_peer_waits_for_every_one_before_it_decides()
    {
        var slow = new TaskCompletionSource();
        var decided = WriteReplication.AppliedEverywhereAsync([Refused("p2"), slow.Task], "map", "p1");
        Assert.False(decided.IsCompleted, "the outcome depends on the peer that has not answered");

        slow.SetResult();

        await Assert.ThrowsAsync<WriteOutcomeUnknownException>(() => decided);
    }
}
