using Microsoft.Extensions.Time.Testing;
using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class RoundBarrierTests
{
    private static readonly Configuration Config = new(4, ["p1", "p2", "p3"], []);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void A_step_completes_only_when_every_member_has_arrived()
    {
        var barrier = new RoundBarrier(Config, 2, _time);

        Assert.Equal(BarrierVerdict.Accepted, barrier.Arrive(new(4, 0, "p2")));
        Assert.Equal(BarrierVerdict.Accepted, barrier.Arrive(new(4, 0, "p1")));
        Assert.False(barrier.IsComplete(0));
        Assert.Equal(["p3"], barrier.Missing(0).ToArray());
        Assert.Equal(BarrierVerdict.Completed, barrier.Arrive(new(4, 0, "p3")));
        Assert.True(barrier.IsComplete(0));
        Assert.Empty(barrier.Missing(0).ToArray());
        Assert.Equal(Config.Members.ToArray(), barrier.Missing(1).ToArray());
    }

    [Fact]
    public void A_duplicate_is_harmless_and_counted()
    {
        var barrier = new RoundBarrier(Config, 1, _time);
        barrier.Arrive(new(4, 0, "p1"));

        Assert.Equal(BarrierVerdict.Duplicate, barrier.Arrive(new(4, 0, "p1")));
        Assert.Equal(["p2", "p3"], barrier.Missing(0).ToArray());
        Assert.Equal(new DropCounts(0, 0, 1), barrier.Dropped);
    }

    [Theory]
    [InlineData(3, 0, "p1", nameof(BarrierVerdict.Stale))]
    [InlineData(5, 0, "p1", nameof(BarrierVerdict.Stale))]
    [InlineData(4, 0, "p9", nameof(BarrierVerdict.Refused))]
    [InlineData(4, -1, "p1", nameof(BarrierVerdict.Refused))]
    [InlineData(4, 2, "p1", nameof(BarrierVerdict.Refused))]
    [InlineData(4, int.MaxValue, "p1", nameof(BarrierVerdict.Refused))]
    public void A_request_for_another_epoch_from_a_non_member_or_for_a_missing_step_is_dropped_counted_and_changes_nothing(
        long epoch, int step, string processor, string verdict)
    {
        var expected = Enum.Parse<BarrierVerdict>(verdict);
        var barrier = new RoundBarrier(Config, 2, _time);

        Assert.Equal(expected, barrier.Arrive(new(epoch, step, processor)));
        Assert.Equal(Config.Members.ToArray(), barrier.Missing(0).ToArray());
        Assert.Equal(Config.Members.ToArray(), barrier.Missing(1).ToArray());
        Assert.Equal(expected == BarrierVerdict.Stale ? 1 : 0, barrier.Dropped.Stale);
        Assert.Equal(expected == BarrierVerdict.Refused ? 1 : 0, barrier.Dropped.Refused);
    }

    [Fact]
    public void After_the_round_closes_every_request_is_stale()
    {
        var barrier = new RoundBarrier(Config, 1, _time);
        barrier.Arrive(new(4, 0, "p1"));
        barrier.Arrive(new(4, 0, "p2"));
        barrier.Close();

        Assert.Equal(BarrierVerdict.Stale, barrier.Arrive(new(4, 0, "p3")));
        Assert.False(barrier.IsComplete(0));
    }

    [Fact]
    public void A_completed_barrier_hands_over_what_the_requests_carried_once_and_a_duplicates_freight_is_not_kept_twice()
    {
        var barrier = new RoundBarrier(Config, 2, _time);
        var sent = new Contribution(4, "clm", "p1", 0, [], "p1#0");
        barrier.Arrive(new(4, 1, "p1") { Sent = [sent], ProcessCalls = 2 });
        barrier.Arrive(new(4, 1, "p1") { Sent = [sent], ProcessCalls = 2 });
        _time.Advance(TimeSpan.FromMilliseconds(3));
        barrier.Arrive(new(4, 1, "p2") { ProcessCalls = 1 });
        Assert.Throws<InvalidOperationException>(() => barrier.TakeCompletion(1));
        barrier.Arrive(new(4, 1, "p3"));

        var completion = barrier.TakeCompletion(1);
        Assert.Equal((4L, 1, 3L), (completion.Epoch, completion.Step, completion.ProcessCalls));
        Assert.Equal([sent], completion.Carried.ToArray());
        Assert.Equal(TimeSpan.FromMilliseconds(3), completion.Wait);
        Assert.Empty(barrier.TakeCompletion(1).Carried);
    }
}
