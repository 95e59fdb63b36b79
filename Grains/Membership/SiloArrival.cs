using Resync.Placement;
using Resync.Runtime;

namespace Resync.Membership;

/// <summary>
/// How a silo joins warm: it first rehearses a round (<see cref="IConfigurationMembership.Rehearse"/>), then
/// activates its own silo processor and replicas and says so (<see cref="IConfigurationMembership.SiloReady"/>),
/// so that the silo's first real round finds its code and its grains loaded.
/// </summary>
internal sealed partial class SiloArrival(
    ILocalSiloDetails localSilo,
    IGrainFactory grains,
    SyncServiceRegistry services,
    IOptions<ResyncOptions> options,
    TimeProvider time,
    ILogger<SiloArrival> logger)
{
    private string SelfProcessor => ProcessorPlacement.SiloProcessor(localSilo.SiloAddress);

    public async Task ArriveAsync(CancellationToken stopping)
    {
        await AnnounceServicesAsync(stopping);
        if (!options.Value.Silos.Processors)
        {
            return;
        }

        if (options.Value.Silos.Rehearse)
        {
            await RehearseAsync(stopping);
        }

        await AnnounceReadyAsync(stopping);
    }

    /// <summary>
    /// Tells the configuration which services this silo registered, before its processor is ready: the round that takes
    /// it in synchronizes them. Retried until told or the silo stops.
    /// </summary>
    private async Task AnnounceServicesAsync(CancellationToken stopping)
    {
        var retry = MembershipRetry.Create();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await grains.GetGrain<IConfigurationMembership>(IConfigurationGrain.Key)
                    .AnnounceServices(localSilo.SiloAddress.ToParsableString(), services.Names).WaitAsync(options.Value.Notices.Timeout, time, stopping);
                return;
            }
            catch (Exception exception) when (!stopping.IsCancellationRequested)
            {
                LogAnnounceFailed(logger, exception, localSilo.SiloAddress.ToParsableString());
                await retry.PauseAsync(time, stopping);
            }
        }
    }

    /// <summary>
    /// The silo's rehearsal round, bounded by <see cref="SiloOptions.RehearsalTimeout"/>; its processor and
    /// replicas are dropped afterwards. A rehearsal that fails costs only the warmth: the silo joins all the same.
    /// </summary>
    private async Task RehearseAsync(CancellationToken stopping)
    {
        var self = SelfProcessor;
        var rehearsal = grains.GetGrain<IProcessorGrain>(ProcessorId.RehearsalOf(self));
        var clock = Stopwatch.StartNew();
        try
        {
            // Activated from here, on this silo: the conductor's silo may not see this one active yet.
            await rehearsal.Warm();
            var summary = await grains.GetGrain<IConfigurationMembership>(IConfigurationGrain.Key).Rehearse(self)
                .WaitAsync(options.Value.Silos.RehearsalTimeout, time, stopping);
            LogRehearsed(logger, self, summary.Epoch, summary.Outcome, clock.Elapsed.TotalMilliseconds, summary.AbortReason ?? "");
        }
        catch (Exception exception) when (!stopping.IsCancellationRequested)
        {
            LogRehearsalFailed(logger, exception, self, clock.Elapsed.TotalMilliseconds);
        }

        try
        {
            await rehearsal.Crash().WaitAsync(options.Value.Notices.Timeout, time, stopping);
        }
        catch (Exception exception) when (!stopping.IsCancellationRequested)
        {
            // Its activations then go with the collector; it is never a member.
            LogRehearsalFailed(logger, exception, self, clock.Elapsed.TotalMilliseconds);
        }
    }

    private async Task AnnounceReadyAsync(CancellationToken stopping)
    {
        var self = SelfProcessor;
        var retry = MembershipRetry.Create();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var clock = Stopwatch.StartNew();
                await grains.GetGrain<IProcessorGrain>(self).Warm();
                var change = await grains.GetGrain<IConfigurationMembership>(IConfigurationGrain.Key).SiloReady(self);
                LogReady(logger, self, clock.Elapsed.TotalMilliseconds, change.Changed, change.Configuration.Epoch);
                return;
            }
            catch (Exception exception) when (!stopping.IsCancellationRequested)
            {
                LogReadyFailed(logger, exception, self);
                await retry.PauseAsync(time, stopping);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo processor {Processor} activated in {Milliseconds:F1} ms and ready: changed {Changed}, epoch {Epoch}.")]
    private static partial void LogReady(ILogger logger, string processor, double milliseconds, bool changed, long epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo processor {Processor} rehearsed a round (epoch {Epoch}) before joining: {Outcome} in {Milliseconds:F1} ms. {AbortReason}")]
    private static partial void LogRehearsed(ILogger logger, string processor, long epoch, RoundPhase outcome, double milliseconds, string abortReason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo processor {Processor}'s rehearsal failed after {Milliseconds:F1} ms; the silo joins all the same.")]
    private static partial void LogRehearsalFailed(ILogger logger, Exception exception, string processor, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo processor {Processor} could not say it is ready; retrying.")]
    private static partial void LogReadyFailed(ILogger logger, Exception exception, string processor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Silo} could not announce its services; trying again.")]
    private static partial void LogAnnounceFailed(ILogger logger, Exception exception, string silo);
}
