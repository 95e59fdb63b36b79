using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class RoundHistoryTests
{
    private static RoundSummary Round(long epoch, RoundPhase outcome) => new(epoch, outcome, 3, [], TimeSpan.Zero, null);

    [Fact]
    public void History_keeps_the_newest_rounds_up_to_its_capacity()
    {
        var history = new RoundHistory(3);
        for (var epoch = 1; epoch <= 10; epoch++)
        {
            history.Add(Round(epoch, RoundPhase.Completed));
        }

        Assert.Equal([8L, 9L, 10L], history.Rounds.Select(r => r.Epoch));
    }

    [Fact]
    public async Task A_waiter_completes_with_the_first_completed_round_of_its_epoch_or_later_and_not_with_an_aborted_one()
    {
        var history = new RoundHistory(10);
        var waiter = history.WaitForCompleted(5);

        history.Add(Round(4, RoundPhase.Completed));
        history.Add(Round(5, RoundPhase.Aborted));
        Assert.False(waiter.IsCompleted);
        history.Add(Round(6, RoundPhase.Completed));

        Assert.Equal(6, (await waiter).Epoch);
        Assert.Equal(0, history.Waiters);
        Assert.Equal(6, (await history.WaitForCompleted(3)).Epoch);
    }

    [Fact]
    public async Task Restored_rounds_count_as_ended_and_answer_a_waiter_for_an_epoch_they_completed()
    {
        var history = new RoundHistory(3);
        history.Restore([Round(5, RoundPhase.Completed), Round(6, RoundPhase.Aborted), Round(7, RoundPhase.Completed), Round(8, RoundPhase.Aborted)]);

        Assert.Equal([6L, 7L, 8L], history.Rounds.Select(r => r.Epoch));
        Assert.Equal(7, history.LastCompleted?.Epoch);
        Assert.Equal(8, history.LastEndedEpoch);
        Assert.Equal(7, (await history.WaitForCompleted(7)).Epoch);
    }
}
