namespace Resync.Engine;

internal sealed partial class ProcessorGrain
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Processor {Processor} ignored a stale {Notice} for epoch {Epoch} step {Step}; it follows epoch {Current}.")]
    private static partial void LogStaleNotice(ILogger logger, string notice, long epoch, int step, string processor, long current);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Epoch {Epoch} step {Step} ({Service}): processor {Processor} arrived at the barrier: {Verdict}.")]
    private static partial void LogArrived(ILogger logger, long epoch, int step, string service, string processor, BarrierVerdict verdict);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Epoch {Epoch} aborted at step {Step} on processor {Processor}.")]
    private static partial void LogAborted(ILogger logger, long epoch, int step, string processor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Processor {Processor} dropped its replicas at epoch {Epoch}: a crash, or the end of a silo's rehearsal.")]
    private static partial void LogCrashed(ILogger logger, string processor, long epoch);
}
