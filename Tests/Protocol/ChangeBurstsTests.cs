using Microsoft.Extensions.Time.Testing;
using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class ChangeBurstsTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Gap = TimeSpan.FromMilliseconds(0.3);
    private readonly FakeTimeProvider _time = new();
    private readonly ChangeBursts _bursts;

    public ChangeBurstsTests() => _bursts = new ChangeBursts(Settle, MaxDelay, _time);

    /// <summary>One change as the configuration grain handles it: decide, start at once when told to, done.</summary>
    private TimeSpan? Change(bool roundInFlight)
    {
        var deferFor = _bursts.Change(roundInFlight);
        if (deferFor is null)
        {
            _bursts.Started(bySettle: false);
        }

        _bursts.Handled();
        return deferFor;
    }

    [Fact]
    public void A_change_after_a_quiet_spell_starts_its_round_at_once_and_so_does_one_with_no_round_in_flight()
    {
        Assert.Null(Change(roundInFlight: false));
        _time.Advance(Gap);
        Assert.Null(Change(roundInFlight: false));
        _time.Advance(Settle * 2);
        Assert.Null(Change(roundInFlight: true));
        Assert.False(_bursts.Deferring);
    }

    [Fact]
    public void Changes_within_the_settle_time_defer_the_round_until_they_stop_and_never_past_the_longest_delay()
    {
        Assert.Null(Change(roundInFlight: false));
        var dues = new List<TimeSpan>();
        for (var change = 0; change < 400; change++)
        {
            _time.Advance(Gap);
            dues.Add(Change(roundInFlight: true) ?? throw new Xunit.Sdk.XunitException($"change {change + 2} of the burst started a round at once"));
        }

        // Every change re-arms the start one settle later, but never later than the longest delay after the
        // burst's first deferred change: by 120 ms into the burst the start is due at once.
        Assert.True(_bursts.Deferring);
        for (var k = 0; k < dues.Count; k++)
        {
            var left = MaxDelay - Gap * k;
            Assert.Equal(left < Settle ? TimeSpan.FromTicks(Math.Max(left.Ticks, 0)) : Settle, dues[k]);
        }

        Assert.Equal(TimeSpan.Zero, dues[^1]);
    }

    [Fact]
    public void A_timer_armed_before_the_last_change_finds_time_left_and_one_armed_by_it_none()
    {
        Assert.Null(Change(roundInFlight: false));
        _time.Advance(Gap);
        Assert.Equal(Settle, Change(roundInFlight: true));
        _time.Advance(Gap);
        Assert.Equal(Settle, Change(roundInFlight: true));

        // The first deferral's timer fires one settle after it was armed: the last change moved the start on by a gap.
        _time.Advance(Settle - Gap);
        Assert.Equal(Gap, _bursts.Left);
        _time.Advance(Gap);
        Assert.Equal(TimeSpan.Zero, _bursts.Left);
    }

    [Fact]
    public void The_round_a_quiet_change_started_at_once_does_not_lengthen_the_settle_when_the_burst_aborts_it()
    {
        Assert.Null(Change(roundInFlight: false));
        _time.Advance(Gap);
        Assert.Equal(Settle, Change(roundInFlight: true));
        Assert.Equal(Settle, _bursts.Settle);
    }

    [Fact]
    public void A_round_the_settle_started_that_the_burst_aborts_doubles_the_settle_until_a_round_completes()
    {
        Assert.Null(Change(roundInFlight: false));
        _time.Advance(Gap);
        Assert.Equal(Settle, Change(roundInFlight: true));

        // The burst pauses for the settle time, its round starts, and the burst goes on: the settle was too short.
        _time.Advance(Settle);
        _bursts.Started(bySettle: true);
        Assert.False(_bursts.Deferring);
        _time.Advance(Gap);
        Assert.Equal(Settle * 2, Change(roundInFlight: true));
        Assert.Equal(Settle * 2, _bursts.Settle);

        _time.Advance(Settle * 2);
        _bursts.Started(bySettle: true);
        _time.Advance(Gap);
        Assert.Equal(Settle * 4, Change(roundInFlight: true));

        _time.Advance(Settle * 4);
        _bursts.Started(bySettle: true);
        _bursts.Completed();
        Assert.Equal(Settle, _bursts.Settle);
        _time.Advance(Settle * 2);
        Assert.Null(Change(roundInFlight: false));
    }

    [Fact]
    public void A_change_that_aborts_a_round_that_had_barely_started_is_part_of_the_burst_even_after_a_slow_caller()
    {
        Assert.Null(Change(roundInFlight: false));
        _time.Advance(Gap);
        Assert.Equal(Settle, Change(roundInFlight: true));
        _time.Advance(Settle);
        _bursts.Started(bySettle: true);

        // The caller came back after more than the settle time, but the round it aborts started less than two settles ago.
        _time.Advance(Settle * 1.5);
        Assert.Equal(Settle * 2, Change(roundInFlight: true));
    }

    [Fact]
    public void The_settle_time_must_not_be_negative_nor_longer_than_the_longest_delay()
    {
        Assert.Throws<ArgumentException>(() => new ChangeBursts(TimeSpan.FromMilliseconds(-1), MaxDelay, _time));
        Assert.Throws<ArgumentException>(() => new ChangeBursts(MaxDelay * 2, MaxDelay, _time));
    }
}
