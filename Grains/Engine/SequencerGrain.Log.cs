using Resync.Runtime;

namespace Resync.Engine;

internal sealed partial class SequencerGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Round of epoch {Epoch} started: {Members} members, {Services} services.")]
    private static partial void LogRoundStarted(ILogger logger, long epoch, int members, int services);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Epoch {Epoch} step {Step} ({Service}): notice sent to every member.")]
    private static partial void LogStepStarted(ILogger logger, long epoch, int step, string service);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Epoch {Epoch} step {Step} ({Service}) done: barrier {BarrierMs:F3} ms, processing {ProcessingMs:F3} ms.")]
    private static partial void LogStepCompleted(ILogger logger, long epoch, int step, string service, double barrierMs, double processingMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Round of epoch {Epoch} completed in {DurationMs:F3} ms.")]
    private static partial void LogRoundCompleted(ILogger logger, long epoch, double durationMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Round of epoch {Epoch} aborted at step {Step} ({Service}): {Reason}.")]
    private static partial void LogRoundAborted(ILogger logger, long epoch, int step, string? service, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Round of epoch {Epoch} failed at step {Step} ({Service}).")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception, long epoch, int step, string? service);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Epoch {Epoch} step {Step}: the notice to processor {Processor} failed.")]
    private static partial void LogNoticeFailed(ILogger logger, Exception exception, long epoch, int step, string processor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Epoch {Epoch} step {Step} ({Service}) failed on processor {Processor}: {Reason}.")]
    private static partial void LogStepFailed(ILogger logger, long epoch, int step, string? service, string processor, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Epoch {Epoch}: not every member of the aborted round confirmed its abort within {TimeoutMs} ms; nothing waited for them.")]
    private static partial void LogAbortIncomplete(ILogger logger, Exception exception, long epoch, double timeoutMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropped a stale completion of barrier {Step} of epoch {Epoch} at the sequencer of epoch {Current}.")]
    private static partial void LogStaleBarrierCompletion(ILogger logger, long epoch, int step, long current);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Epoch {Epoch} step {Step} ({Service}) passed its deadline in {Phase} after {ElapsedMs:F0} ms, waiting for [{Waiting}]; policy {Policy}.")]
    private static partial void LogStepOverdue(ILogger logger, long epoch, int step, string? service, RoundPhase phase, double elapsedMs, string waiting, SlowProcessorPolicy policy);

    [LoggerMessage(Level = LogLevel.Error, Message = "Round of epoch {Epoch} passed its deadline of {DeadlineSeconds} s at step {Step} ({Service}); it fails and is retried.")]
    private static partial void LogRoundOverdue(ILogger logger, long epoch, int step, string? service, double deadlineSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Epoch {Epoch} step {Step}: at the step deadline, could not {Action}.")]
    private static partial void LogDeadlineActionFailed(ILogger logger, Exception exception, long epoch, int step, string action);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Epoch {Epoch}: the sequencer was deactivated at step {Step} ({Service}) with its round in flight ({Reason}); the round ends here.")]
    private static partial void LogDeactivatedInFlight(ILogger logger, long epoch, int step, string? service, string reason);
}
