using Resync.Services;

namespace Resync.Tests.Services;

public sealed class WriteReplicationTests
{
    private static Task<bool> Refused(string peer) => Task.FromException<bool>(new RecoveryInProgressException(7, "map", peer));

    private static Task<bool> Applied => Task.FromResult(true);

    [Fact]
    public async Task A_write_every_peer_applied_is_acknowledged() =>
        await WriteReplication.AppliedEverywhereAsync([Applied, Applied], "map", "p1");

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
            WriteReplication.AppliedEverywhereAsync([Applied, Refused("p3"), Applied], "map", "p1"));

        Assert.Equal((3, 4), (doubt.Applied, doubt.Replicas));
        Assert.IsType<RecoveryInProgressException>(doubt.InnerException);
        Assert.Contains("Read after the round before you retry", doubt.Message);
    }

    [Fact]
    public async Task A_write_that_a_peer_may_have_applied_before_it_failed_is_in_doubt_not_refused()
    {
        var doubt = await Assert.ThrowsAsync<WriteOutcomeUnknownException>(() =>
            WriteReplication.AppliedEverywhereAsync([Refused("p2"), Task.FromException<bool>(new TimeoutException("no answer from p3"))], "map", "p1"));

        Assert.Equal((1, 3), (doubt.Applied, doubt.Replicas));
        Assert.IsType<TimeoutException>(doubt.InnerException);
    }

    [Fact]
    public async Task A_write_that_a_peer_s_newer_round_decided_without_is_in_doubt()
    {
        var doubt = await Assert.ThrowsAsync<WriteOutcomeUnknownException>(() =>
            WriteReplication.AppliedEverywhereAsync([Applied, Task.FromResult(false)], "map", "p1"));

        Assert.Equal((2, 3), (doubt.Applied, doubt.Replicas));
    }

    [Fact]
    public async Task A_write_that_waits_for_a_peer_waits_for_every_one_before_it_decides()
    {
        var slow = new TaskCompletionSource<bool>();
        var decided = WriteReplication.AppliedEverywhereAsync([Refused("p2"), slow.Task], "map", "p1");
        Assert.False(decided.IsCompleted, "the outcome depends on the peer that has not answered");

        slow.SetResult(true);

        await Assert.ThrowsAsync<WriteOutcomeUnknownException>(() => decided);
    }

    [Fact]
    public async Task A_write_in_doubt_reaches_a_peer_that_refused_once_its_round_lets_it_and_stops_once_a_newer_round_carried_it()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var stopped = new List<string>();
        var attempts = 0;
        var delivered = WriteReplication.RedeliverAsync(
            [("p3", () => ++attempts < 3 ? Refused("p3") : Applied)], () => true, TimeSpan.FromMinutes(1), clock, (peer, _) => stopped.Add(peer));
        await AdvanceUntilAsync(clock, delivered);
        Assert.Equal((3, 0), (attempts, stopped.Count));

        var newer = false;
        var carried = WriteReplication.RedeliverAsync([("p3", () => Refused("p3"))], () => !newer, TimeSpan.FromMinutes(1), clock, (peer, _) => stopped.Add(peer));
        newer = true;
        await AdvanceUntilAsync(clock, carried);
        Assert.Empty(stopped);
    }

    [Fact]
    public async Task A_redelivery_stops_and_says_so_at_its_limit_when_a_peer_decided_without_it_or_when_the_peer_fails()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var stopped = new List<string>();
        var redelivering = WriteReplication.RedeliverAsync(
            [("refusing", () => Refused("refusing")), ("newer", () => Task.FromResult(false)), ("gone", () => Task.FromException<bool>(new TimeoutException()))],
            () => true, TimeSpan.FromSeconds(10), clock, (peer, _) => stopped.Add(peer));
        await AdvanceUntilAsync(clock, redelivering);

        Assert.Equal(["gone", "newer", "refusing"], stopped.Order());
    }

    private static Task AdvanceUntilAsync(Microsoft.Extensions.Time.Testing.FakeTimeProvider clock, Task task) =>
        Resync.Tests.Infrastructure.FakeClockPump.RunAsync(clock, task, TimeSpan.FromSeconds(1), 1000, "the replication to end");
}
