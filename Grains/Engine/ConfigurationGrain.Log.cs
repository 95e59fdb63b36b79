namespace Resync.Engine;

internal sealed partial class ConfigurationGrain
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Epoch {Epoch} accepted ({Reason}): {Members} members, {Survivors} survivors.")]
    private static partial void LogAdvanced(ILogger logger, long epoch, string reason, int members, int survivors);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A {Reason} proposal changed nothing; epoch stays {Epoch}.")]
    private static partial void LogUnchanged(ILogger logger, string reason, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Resuming: the round of epoch {Epoch} never completed (last completed epoch {CompletedEpoch}); starting a new epoch with the same members.")]
    private static partial void LogResuming(ILogger logger, long epoch, long completedEpoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The round of epoch {Epoch} stalled at {Phase} of step {Step} ({Service}), waiting for [{Pending}]; starting a new epoch with the same members.")]
    private static partial void LogStalled(ILogger logger, long epoch, string phase, int step, string? service, string pending);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The round of epoch {Epoch} failed ({Reason}); retrying under a new epoch in {PauseMs} ms (attempt {Attempt}).")]
    private static partial void LogRetrying(ILogger logger, long epoch, string? reason, double pauseMs, int attempt);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ignored a silo proposal of membership version {Version}; version {Seen} was already applied.")]
    private static partial void LogStaleSiloProposal(ILogger logger, long version, long seen);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The sequencer of epoch {Epoch} did not confirm its start.")]
    private static partial void LogStartFailed(ILogger logger, Exception exception, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The sequencer of epoch {Epoch} did not confirm its abort.")]
    private static partial void LogAbortFailed(ILogger logger, Exception exception, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Evicted [{Processors}] from epoch {Epoch} ({Reason}); epoch {Next} goes on without them.")]
    private static partial void LogEvicted(ILogger logger, long epoch, string processors, string reason, long next);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Ignored an eviction of [{Processors}] for epoch {Epoch}; the configuration is at epoch {Current}.")]
    private static partial void LogStaleEviction(ILogger logger, long epoch, long current, string processors);

    [LoggerMessage(Level = LogLevel.Error, Message = "Service {Service} is failing: {Threshold} rounds in a row failed in it, the last in epoch {Epoch}: {Reason}. The other services keep serving their last activated state.")]
    private static partial void LogServiceFailing(ILogger logger, string service, int threshold, long epoch, string? reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Service {Service} recovered: the round of epoch {Epoch} completed.")]
    private static partial void LogServiceRecovered(ILogger logger, string service, long epoch);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A burst of changes settled; starting the round of epoch {Epoch}.")]
    private static partial void LogBurstSettled(ILogger logger, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not warm epoch {Epoch} for {Processor}; its first round resolves the addresses itself.")]
    private static partial void LogWarmFailed(ILogger logger, Exception exception, string processor, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The history of rounds could not be saved (epoch {Epoch}); retrying in a second.")]
    private static partial void LogHistoryNotSaved(ILogger logger, Exception exception, long epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silo} announced services [{Services}]; the rounds synchronize [{RoundServices}].")]
    private static partial void LogServicesAnnounced(ILogger logger, string silo, string services, string roundServices);
}
