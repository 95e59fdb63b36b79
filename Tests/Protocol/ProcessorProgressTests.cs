using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class ProcessorProgressTests
{
    private const int Services = 3;

    private static ProcessorProgress Finished(long epoch)
    {
        var progress = new ProcessorProgress();
        progress.Enter(epoch, Services, out _);
        for (var step = 0; step < Services; step++)
        {
            Assert.Equal(NoticeVerdict.Apply, progress.Step(epoch, step, Services));
        }

        Assert.Equal(NoticeVerdict.Apply, progress.Finish(epoch, Services));
        return progress;
    }

    [Fact]
    public void A_processor_enters_an_epoch_follows_its_steps_in_order_and_finishes_it()
    {
        var progress = new ProcessorProgress();
        Assert.Equal(NoticeVerdict.Apply, progress.Enter(5, Services, out var left));
        Assert.Equal((ProcessorProgress.Leftover.None.Owed, ProcessorProgress.Leftover.None.Superseded, 0), (left.Owed, left.Superseded, progress.Barrier));
        Assert.Equal(NoticeVerdict.Apply, progress.Step(5, 0, Services));
        Assert.Equal(1, progress.Barrier);
        Assert.Equal(NoticeVerdict.Apply, progress.Step(5, 1, Services));
        Assert.Equal(NoticeVerdict.Apply, progress.Step(5, 2, Services));
        Assert.Equal(Services, progress.Barrier);
        Assert.Equal(NoticeVerdict.Apply, progress.Finish(5, Services));
        Assert.True(progress.Finished);
    }

    [Fact]
    public void After_the_last_activation_a_repeat_of_any_notice_of_that_epoch_is_a_duplicate_and_gates_nothing()
    {
        // Defect: a repeat of the last step's notice after the final activation closed the replica's writes until the next change.
        var progress = Finished(5);

        Assert.Equal(NoticeVerdict.Duplicate, progress.Step(5, Services - 1, Services));
        Assert.Equal(NoticeVerdict.Duplicate, progress.Step(5, 0, Services));
        Assert.Equal(NoticeVerdict.Duplicate, progress.Finish(5, Services));
        Assert.Equal(NoticeVerdict.Duplicate, progress.Enter(5, Services, out _));
        Assert.Empty(progress.Abort(5));
        Assert.True(progress.Finished);
    }

    [Fact]
    public void A_repeated_step_notice_is_a_duplicate_and_a_notice_of_an_older_or_aborted_epoch_is_stale()
    {
        var progress = AfterSteps(2);

        Assert.Equal(NoticeVerdict.Duplicate, progress.Step(5, 1, Services));
        Assert.Equal(NoticeVerdict.Duplicate, progress.Step(5, 0, Services));
        Assert.Equal(NoticeVerdict.Stale, progress.Enter(4, Services, out _));
        Assert.Equal(NoticeVerdict.Stale, progress.Step(4, 2, Services));

        Assert.Equal([0, 1], progress.Abort(5).ToArray());
        Assert.False(progress.IsCurrent(5));
        Assert.Equal(NoticeVerdict.Stale, progress.Step(5, 2, Services));
        Assert.Equal(NoticeVerdict.Stale, progress.Finish(5, Services));
        Assert.Equal(NoticeVerdict.Stale, progress.Enter(5, Services, out _));
        Assert.Equal(NoticeVerdict.Apply, progress.Enter(6, Services, out var left));
        Assert.Equal((0L, 0L), (left.Owed, left.Superseded));
    }

    [Fact]
    public void An_abort_reaches_the_service_in_flight_and_the_one_before_it_whose_activation_may_not_have_run()
    {
        var entered = AfterSteps(0);
        Assert.Empty(entered.Abort(5));

        var first = AfterSteps(1);
        Assert.Equal([0], first.Abort(5).ToArray());

        var atLast = AfterSteps(Services);
        Assert.Equal([1, 2], atLast.Abort(5).ToArray());
        Assert.Empty(atLast.Abort(5));
    }

    [Fact]
    public void A_newer_epoch_that_comes_after_the_last_barrier_but_before_the_rounds_fate_owes_the_older_rounds_last_activation_first()
    {
        var progress = AfterSteps(Services);

        Assert.Equal(NoticeVerdict.Apply, progress.Enter(6, Services, out var left));
        Assert.Equal((5L, 0L), (left.Owed, left.Superseded));
        Assert.Equal(NoticeVerdict.Stale, progress.Finish(5, Services));

        // Not owed when the round finished here, or was aborted, or the processor never reached its last barrier.
        Finished(5).Enter(6, Services, out var afterFinish);
        Assert.Equal((0L, 0L), (afterFinish.Owed, afterFinish.Superseded));
        var aborted = AfterSteps(Services);
        aborted.Abort(5);
        aborted.Enter(6, Services, out var afterAbort);
        Assert.Equal((0L, 0L), (afterAbort.Owed, afterAbort.Superseded));
        var midway = AfterSteps(1);
        midway.Enter(6, Services, out var afterMidway);
        Assert.Equal(0, afterMidway.Owed);
    }

    [Fact]
    public void A_newer_epoch_that_comes_before_the_older_rounds_last_barrier_aborts_its_replicas_in_flight_here_whether_or_not_its_abort_comes_later()
    {
        var midway = AfterSteps(2);

        Assert.Equal(NoticeVerdict.Apply, midway.Enter(6, Services, out var left));
        Assert.Equal((0L, 5L), (left.Owed, left.Superseded));
        Assert.Equal([0, 1], left.Steps.ToArray());
        Assert.Empty(midway.Abort(5));

        // Nothing to abort when the older round had not started a step here, or its abort came first.
        var entered = AfterSteps(0);
        entered.Enter(6, Services, out var afterEnter);
        Assert.Equal(0L, afterEnter.Superseded);
        var abortedFirst = AfterSteps(1);
        Assert.Equal([0], abortedFirst.Abort(5).ToArray());
        abortedFirst.Enter(6, Services, out var afterAbortFirst);
        Assert.Equal(0L, afterAbortFirst.Superseded);
    }

    [Fact]
    public void A_step_of_a_newer_epoch_than_the_one_entered_is_followed_a_processor_that_lost_its_memory_meets_it()
    {
        var progress = new ProcessorProgress();
        Assert.Equal(NoticeVerdict.Apply, progress.Step(9, 1, Services));
        Assert.Equal((9L, 2), (progress.Epoch, progress.Barrier));
    }

    /// <summary>A processor in epoch 5 whose first <paramref name="steps"/> steps ran.</summary>
    private static ProcessorProgress AfterSteps(int steps)
    {
        var progress = new ProcessorProgress();
        progress.Enter(5, Services, out _);
        for (var step = 0; step < steps; step++)
        {
            progress.Step(5, step, Services);
        }

        return progress;
    }
}
