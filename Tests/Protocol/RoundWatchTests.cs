using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class RoundWatchTests
{
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(10);
    private readonly RoundWatch _watch = new(Stall, Stall / 4);

    private static RoundProgress Progress(RoundPhase phase, TimeSpan sinceActivity) =>
        new(3, phase, 1, "evt", [], [], default, TimeSpan.Zero, null, sinceActivity);

    [Fact]
    public void A_sequencer_that_answers_without_a_round_is_lost_only_when_it_still_does_at_the_next_look()
    {
        // Defect: a completed round was renewed as stalled while its end was still on its way to the configuration.
        Assert.False(_watch.ShouldRenew(3, null, answered: true));
        Assert.True(_watch.ShouldRenew(3, null, answered: true));
        Assert.False(_watch.ShouldRenew(3, null, answered: true));
    }

    [Fact]
    public void A_look_that_finds_the_round_or_another_epoch_clears_the_suspicion()
    {
        Assert.False(_watch.ShouldRenew(3, null, answered: true));
        Assert.False(_watch.ShouldRenew(3, Progress(RoundPhase.Processing, TimeSpan.Zero), answered: true));
        Assert.False(_watch.ShouldRenew(3, null, answered: true));
        Assert.False(_watch.ShouldRenew(4, null, answered: true));
        _watch.Reset();
        Assert.False(_watch.ShouldRenew(4, null, answered: true));
    }

    [Fact]
    public void A_round_without_a_sign_of_life_for_the_stall_timeout_is_renewed_unless_it_is_past_its_last_barrier()
    {
        Assert.False(_watch.ShouldRenew(3, Progress(RoundPhase.Processing, Stall), answered: true));
        Assert.True(_watch.ShouldRenew(3, Progress(RoundPhase.Processing, Stall + TimeSpan.FromTicks(1)), answered: true));
        Assert.True(_watch.ShouldRenew(3, Progress(RoundPhase.Barrier, Stall * 2), answered: true));
        Assert.False(_watch.ShouldRenew(3, Progress(RoundPhase.Activating, Stall * 2), answered: true));
        Assert.False(_watch.ShouldRenew(3, Progress(RoundPhase.Completed, Stall * 2), answered: true));
    }

    [Fact]
    public void An_unreachable_sequencer_is_lost_after_a_whole_stall_timeout_of_unanswered_looks_and_one_more()
    {
        for (var look = 0; look < 4; look++)
        {
            Assert.False(_watch.ShouldRenew(3, null, answered: false));
        }

        Assert.False(_watch.ShouldRenew(3, null, answered: false));
        Assert.True(_watch.ShouldRenew(3, null, answered: false));
    }
}
