using Resync.Placement;
using Resync.Protocol;
using Resync.Runtime;

namespace Resync.Membership;

/// <summary>
/// Proposes the silo processors of the active silos (none when <see cref="SiloOptions.Processors"/> is off)
/// to the configuration grain on every Orleans membership change, with the silos that left since the previous
/// proposal: the logical processors a departed silo hosted lost their replicas with it. Every silo proposes; the
/// configuration grain keeps the newest membership version it applied and ignores older ones, so duplicates and
/// late arrivals are harmless. Changes that come in a burst (a restarting silo leaves and joins) are coalesced:
/// a proposal waits for the membership to be quiet for <see cref="SiloOptions.MembershipSettle"/> and takes
/// only the latest snapshot.
/// </summary>
internal sealed partial class MembershipProposals(
    IClusterMembershipService membership,
    IGrainFactory grains,
    IOptions<ResyncOptions> options,
    TimeProvider time,
    ILogger<MembershipProposals> logger)
{
    public async Task ProposeUntilAsync(CancellationToken stopping)
    {
        var retry = MembershipRetry.Create();
        var latest = membership.CurrentSnapshot;
        var proposed = MembershipVersion.MinValue;
        var active = ActiveSilos(latest);
        var changed = new SemaphoreSlim(0);
        _ = Task.Run(async () =>
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stopping))
            {
                Volatile.Write(ref latest, snapshot);
                changed.Release();
            }
        });

        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var snapshot = Volatile.Read(ref latest);
                if (snapshot.Version > proposed)
                {
                    var now = ActiveSilos(snapshot);
                    await ProposeAsync(snapshot.Version, now, [.. active.Except(now)]);
                    retry.Reset();
                    proposed = snapshot.Version;
                    active = now;
                }

                await changed.WaitAsync(stopping);
                // Settle: take whatever else arrives within the settle time, then propose the latest.
                while (await changed.WaitAsync(options.Value.Silos.MembershipSettle, stopping))
                {
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                LogProposalFailed(logger, exception);
                await retry.PauseAsync(time, stopping);
            }
        }
    }

    private static ImmutableHashSet<string> ActiveSilos(ClusterMembershipSnapshot snapshot) =>
        snapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => ProcessorPlacement.SiloProcessor(m.SiloAddress))
            .ToImmutableHashSet();

    private async Task ProposeAsync(MembershipVersion version, ImmutableHashSet<string> active, ImmutableArray<string> departed)
    {
        ImmutableArray<string> silos = options.Value.Silos.Processors ? [.. active] : [];
        var change = await grains.GetGrain<IConfigurationMembership>(IConfigurationGrain.Key).ProposeSilos(version.Value, silos, departed);
        LogProposed(logger, version.Value, silos.Length, departed.Length, change.Changed, change.Configuration.Epoch);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Proposed {Silos} silo processors at membership version {Version}, {Departed} silos departed: changed {Changed}, epoch {Epoch}.")]
    private static partial void LogProposed(ILogger logger, long version, int silos, int departed, bool changed, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A silo membership proposal failed; retrying.")]
    private static partial void LogProposalFailed(ILogger logger, Exception exception);
}

internal static class MembershipRetry
{
    /// <summary>
    /// The pauses before a silo tells the configuration grain again: 200 ms, doubling up to 5 s while the failures go on,
    /// so that a silo cut off from its database does not retry (and log) five times a second.
    /// </summary>
    public static ControlRetry Create() => new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));

    /// <summary>Pauses before the next attempt; ends early (without throwing) when the silo stops.</summary>
    public static Task PauseAsync(this ControlRetry retry, TimeProvider time, CancellationToken stopping) =>
        Task.Delay(retry.NextPause(), time, stopping).ContinueWith(_ => { }, TaskScheduler.Default);
}
