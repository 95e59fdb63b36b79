using Microsoft.Extensions.Time.Testing;
using Resync.Protocol;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Protocol;

public sealed class MemberNoticesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private readonly FakeTimeProvider _time = new();

    /// <summary>Runs the notices on the fake clock, in steps of 10 ms, until they are done; fails naming what was expected.</summary>
    private Task RunAsync(Task sending, string expected) => FakeClockPump.RunAsync(_time, sending, TimeSpan.FromMilliseconds(10), 10_000, expected);

    [Fact]
    public async Task Every_member_gets_one_notice_when_every_notice_is_answered()
    {
        var calls = new int[3];
        var failures = new List<int>();
        var notices = new MemberNotices(Timeout, _time);

        await RunAsync(notices.SendAsync(3, m => { calls[m]++; return Task.CompletedTask; }, _ => true, (m, _) => failures.Add(m)), "one notice each");

        Assert.Equal([1, 1, 1], calls);
        Assert.Empty(failures);
    }

    [Fact]
    public async Task A_failed_notice_is_sent_again_to_that_member_only_until_it_is_answered()
    {
        var calls = new int[3];
        var failures = new List<int>();
        var notices = new MemberNotices(Timeout, _time);

        await RunAsync(notices.SendAsync(3, m =>
        {
            calls[m]++;
            return m == 1 && calls[m] <= 2 ? Task.FromException(new InvalidOperationException("unreachable")) : Task.CompletedTask;
        }, _ => true, (m, _) => failures.Add(m)), "member 1 answered at its third notice");

        Assert.Equal([1, 3, 1], calls);
        Assert.Equal([1, 1], failures);
    }

    [Fact]
    public async Task An_unanswered_notice_is_sent_again_after_the_timeout_and_a_member_no_longer_owed_is_left_alone()
    {
        var calls = new int[2];
        var owed = new[] { true, true };
        var notices = new MemberNotices(Timeout, _time);
        var silent = new TaskCompletionSource();

        var sending = notices.SendAsync(2, m =>
        {
            calls[m]++;
            if (m == 0 && calls[m] == 1)
            {
                return silent.Task;
            }

            // Member 1 fails until the round no longer owes it its notice (it moved past it).
            owed[1] = calls[1] < 2;
            return m == 1 ? Task.FromException(new InvalidOperationException("refused")) : Task.CompletedTask;
        }, m => owed[m], (_, _) => { });
        await RunAsync(sending, "member 0 answered its second notice after the first went unanswered, and member 1 dropped once no longer owed");

        Assert.Equal(2, calls[0]);
        Assert.Equal(2, calls[1]);
    }
}
