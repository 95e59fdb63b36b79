using Microsoft.Extensions.Time.Testing;
using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class WriteGateTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(2);
    private readonly FakeTimeProvider _time = new();

    private static Exception Refusal() => new RecoveryInProgressException(7, "ckpt", "p1");

    [Fact]
    public async Task Closing_waits_for_the_writes_in_flight()
    {
        var gate = new WriteGate(_time);
        var first = await gate.EnterAsync(Wait, Refusal);
        var second = await gate.EnterAsync(Wait, Refusal);

        var drained = gate.CloseAsync();
        Assert.False(drained.IsCompleted);
        first.Dispose();
        first.Dispose();
        Assert.False(drained.IsCompleted);
        second.Dispose();
        await drained.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_write_at_a_closed_gate_waits_and_goes_through_when_it_opens()
    {
        var gate = new WriteGate(_time);
        await gate.CloseAsync();

        var write = gate.EnterAsync(Wait, Refusal).AsTask();
        Assert.False(write.IsCompleted);
        gate.Open();
        (await write.WaitAsync(TimeSpan.FromSeconds(5))).Dispose();
    }

    [Fact]
    public async Task A_write_that_waits_past_the_bound_fails_with_recovery_in_progress_naming_the_epoch()
    {
        var gate = new WriteGate(_time);
        await gate.CloseAsync();

        var write = gate.EnterAsync(Wait, Refusal).AsTask();
        _time.Advance(Wait - TimeSpan.FromMilliseconds(1));
        Assert.False(write.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var refused = await Assert.ThrowsAsync<RecoveryInProgressException>(() => write.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(7, refused.Epoch);
        Assert.Contains("epoch 7", refused.Message);
        Assert.Contains("retry", refused.Message);
        Assert.Equal(0, gate.InFlight);
    }
}
