namespace Resync;

/// <summary>
/// What a client may ask of a Resync deployment: change its members and read its configuration, status and
/// history. One grain per deployment (key <see cref="Key"/>) owns the configuration and its epoch counter,
/// persisted; each accepted change makes a new epoch, aborts the round of the old one and starts the new one.
/// </summary>
[Alias("resync.IConfigurationGrain")]
public interface IConfigurationGrain : IGrainWithStringKey
{
    /// <summary>The key of the deployment's one configuration grain.</summary>
    const string Key = "default";

    /// <summary>Adds logical processors. Processors that are already members change nothing.</summary>
    [Alias("Join")] Task<ConfigurationChange> Join(ImmutableArray<string> processors);

    /// <summary>Removes processors; they keep their replicas, as a node cut off by a partition would.</summary>
    [Alias("Leave")] Task<ConfigurationChange> Leave(ImmutableArray<string> processors);

    /// <summary>Removes processors and drops their replicas, as a crash would.</summary>
    [Alias("Fail")] Task<ConfigurationChange> Fail(ImmutableArray<string> processors);

    /// <summary>The current configuration.</summary>
    [Alias("GetConfiguration")] Task<Configuration> GetConfiguration();

    /// <summary>Where recovery is now (contract item 10): the configuration, its round, what was dropped, the services and the failing ones.</summary>
    [Alias("GetStatus")] Task<ResyncStatus> GetStatus();

    /// <summary>The last finished rounds, newest last.</summary>
    [Alias("GetHistory")] Task<ImmutableArray<RoundSummary>> GetHistory();

    /// <summary>
    /// Completes with the first round of epoch <paramref name="epoch"/> or later that completed, or
    /// throws <see cref="TimeoutException"/> naming the epoch and what is pending.
    /// </summary>
    [AlwaysInterleave, Alias("WaitForCompletedRound")]
    Task<RoundSummary> WaitForCompletedRound(long epoch, TimeSpan timeout);
}
