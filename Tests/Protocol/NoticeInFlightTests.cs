using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class NoticeInFlightTests
{
    [Fact]
    public async Task A_notice_repeated_while_it_is_followed_joins_it_and_one_repeated_after_it_ended_is_followed_anew()
    {
        var notices = new NoticeInFlight();
        var follower = new HeldFollower();

        var first = notices.Follow(7, 2, final: false, follower, f => f.Follow());
        var repeat = notices.Follow(7, 2, final: false, follower, f => f.Follow());
        Assert.Same(first, repeat);
        Assert.Equal(1, follower.Followed);

        follower.Release();
        await first;
        _ = notices.Follow(7, 2, final: false, follower, f => f.Follow());
        Assert.Equal(2, follower.Followed);
    }

    [Fact]
    public void Another_epoch_step_or_the_final_notice_of_the_same_step_is_another_notice()
    {
        var notices = new NoticeInFlight();
        var follower = new HeldFollower();

        _ = notices.Follow(7, 2, final: false, follower, f => f.Follow());
        _ = notices.Follow(7, 2, final: true, follower, f => f.Follow());
        _ = notices.Follow(7, 3, final: true, follower, f => f.Follow());
        _ = notices.Follow(8, 3, final: true, follower, f => f.Follow());

        Assert.Equal(4, follower.Followed);
    }

    [Fact]
    public async Task A_notice_that_failed_is_followed_anew_when_repeated()
    {
        var notices = new NoticeInFlight();
        var followed = 0;
        Task Follow() => ++followed == 1 ? Task.FromException(new InvalidOperationException("lost")) : Task.CompletedTask;

        await Assert.ThrowsAsync<InvalidOperationException>(() => notices.Follow(7, 2, final: false, 0, _ => Follow()));
        await notices.Follow(7, 2, final: false, 0, _ => Follow());

        Assert.Equal(2, followed);
    }

    /// <summary>Follows a notice until the test releases it, and counts how often it was asked to.</summary>
    private sealed class HeldFollower
    {
        private TaskCompletionSource _held = new();

        public int Followed { get; private set; }

        public Task Follow()
        {
            Followed++;
            return _held.Task;
        }

        public void Release()
        {
            _held.SetResult();
            _held = new TaskCompletionSource();
        }
    }
}
