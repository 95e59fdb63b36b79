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

        Assert.Equal((3, 4), (doubt.Applied, doubt.Replicas));
        Assert.IsType<RecoveryInProgressException>(doubt.InnerException);
        Assert.Contains("Read after the round before you retry", doubt.Message);
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

    [Fact]
    public async Task A_write_in_doubt_reaches_a_peer_that_refused_once_its_round_lets_it_and_stops_once_a_newer_round_carried_it()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var attempts = 0;
        var delivered = WriteReplication.RedeliverAsync(
            [() => ++attempts < 3 ? Refused("p3") : Task.CompletedTask],
            () => true,
            clock);
        while (!delivered.IsCompleted)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        await delivered;
        Assert.Equal(3, attempts);

        var newer = false;
        var stopped = WriteReplication.RedeliverAsync([() => Refused("p3")], () => !newer, clock);
        newer = true;
        clock.Advance(TimeSpan.FromSeconds(1));
        await stopped.WaitAsync(TimeSpan.FromSeconds(5));
    }
}
