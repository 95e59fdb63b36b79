using Resync.Placement;
using Resync.Runtime;

namespace Resync.Membership;

/// <summary>
/// How a silo that stops cleanly leaves: its processor leaves the configuration while the silo still serves
/// (<see cref="IConfigurationMembership.SiloStopping"/>), and the silo may wait, at most
/// <see cref="SiloOptions.DepartureWait"/>, for the round that settles its departure.
/// </summary>
internal sealed partial class SiloDeparture(
    ILocalSiloDetails localSilo,
    IGrainFactory grains,
    IOptions<ResyncOptions> options,
    TimeProvider time,
    ILogger<SiloDeparture> logger)
{
    private int _departed;

    /// <summary>Best effort, once: if the configuration grain cannot be told, the other silos' proposals remove the processor when the membership shows the silo gone.</summary>
    public async Task DepartAsync(bool awaitRound, CancellationToken cancellationToken)
    {
        if (!options.Value.Silos.Processors || Interlocked.Exchange(ref _departed, 1) == 1)
        {
            return;
        }

        var self = ProcessorPlacement.SiloProcessor(localSilo.SiloAddress);
        var membership = grains.GetGrain<IConfigurationMembership>(IConfigurationGrain.Key);
        var clock = Stopwatch.StartNew();
        try
        {
            var change = await membership.SiloStopping(self).WaitAsync(options.Value.Notices.Timeout, time, cancellationToken);
            LogStopping(logger, self, change.Changed, change.Configuration.Epoch);
            if (awaitRound && change.Changed)
            {
                var wait = options.Value.Silos.DepartureWait;
                await grains.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key)
                    .WaitForCompletedRound(change.Configuration.Epoch, wait)
                    .WaitAsync(wait + options.Value.Notices.Timeout, time, cancellationToken);
                LogDeparted(logger, self, change.Configuration.Epoch, clock.Elapsed.TotalMilliseconds);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogStoppingFailed(logger, exception, self);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo processor {Processor} is stopping and left the configuration: changed {Changed}, epoch {Epoch}.")]
    private static partial void LogStopping(ILogger logger, string processor, bool changed, long epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo processor {Processor} departed: the round of epoch {Epoch} completed without it {Milliseconds:F1} ms after the silo began to stop.")]
    private static partial void LogDeparted(ILogger logger, string processor, long epoch, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo processor {Processor} could not say it is stopping, or its departure's round did not complete in time; the membership will remove it.")]
    private static partial void LogStoppingFailed(ILogger logger, Exception exception, string processor);
}
