using Resync.Protocol;

namespace Resync.Engine;

internal sealed partial class ProcessorGrain
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Processor {Processor} dropped a {Verdict} {Notice} notice for epoch {Epoch} step {Step}; it follows epoch {Current}.")]
    private static partial void LogNoticeDropped(ILogger logger, NoticeVerdict verdict, string notice, long epoch, int step, string processor, long current);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Epoch {Epoch}: processor {Processor} arrived at barrier {Barrier}: {Verdict}.")]
    private static partial void LogArrived(ILogger logger, long epoch, int barrier, string processor, BarrierVerdict verdict);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Epoch {Epoch}: processor {Processor}'s request for barrier {Barrier} failed; it is sent again.")]
    private static partial void LogArriveFailed(ILogger logger, Exception exception, long epoch, int barrier, string processor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Epoch {Epoch} step {Step} ({Service}) failed on processor {Processor}.")]
    private static partial void LogStepFailed(ILogger logger, Exception exception, long epoch, int step, string service, string processor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Epoch {Epoch}: processor {Processor} reached the last barrier but its sequencer did not say whether the round completed; what it staged is discarded.")]
    private static partial void LogOwedUnanswered(ILogger logger, Exception exception, long epoch, string processor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Epoch {Epoch}: processor {Processor} could not settle that round (its last activation, or the abort of its replicas in flight) before entering a newer one; it enters anyway.")]
    private static partial void LogOlderRoundFailed(ILogger logger, Exception exception, long epoch, string processor);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Epoch {Epoch} aborted at step {Step} on processor {Processor}.")]
    private static partial void LogAborted(ILogger logger, long epoch, int step, string processor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Processor {Processor} dropped its replicas at epoch {Epoch}: a crash, or the end of a silo's rehearsal.")]
    private static partial void LogCrashed(ILogger logger, string processor, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Processor {Processor} owed the last activation of epoch {Epoch} but no longer knows that round's services; a later round synchronizes every service again.")]
    private static partial void LogOwedUnknown(ILogger logger, long epoch, string processor);
}
