using Resync.Protocol;

namespace Resync.Tests.Protocol;

public sealed class ControlRetryTests
{
    [Fact]
    public void Pauses_start_at_20_ms_and_double_up_to_one_second()
    {
        var retry = new ControlRetry();
        var pauses = Enumerable.Range(0, 9).Select(_ => retry.NextPause().TotalMilliseconds).ToArray();
        Assert.Equal([20, 40, 80, 160, 320, 640, 1000, 1000, 1000], pauses);
    }
}
