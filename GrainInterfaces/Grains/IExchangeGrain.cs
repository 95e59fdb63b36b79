namespace Resync.Grains;

/// <summary>
/// One per service (key: the service name): the channel through which replicas send their contributions
/// during process (contract items 4 and 7). It holds the contributions of the newest epoch it has seen.
/// </summary>
[Alias("resync.IExchangeGrain")]
public interface IExchangeGrain : IGrainWithStringKey
{
    /// <summary>Opens the exchange for <paramref name="epoch"/> and its members; from then on other epochs' traffic is stale.</summary>
    [Alias("Open")] Task Open(long epoch, ImmutableArray<string> members);

    /// <summary>Stores contributions; once this returns they are delivered. Other epochs' are dropped.</summary>
    [Alias("Post")] Task Post(ImmutableArray<Contribution> contributions);

    /// <summary>Everything of <paramref name="epoch"/> addressed to <paramref name="recipient"/> or to all, sorted by sender and sequence.</summary>
    [Alias("Collect")] Task<ImmutableArray<Contribution>> Collect(long epoch, string recipient);

    /// <summary>
    /// An all-to-all exchange inside process: stores <paramref name="contribution"/> under <paramref name="phase"/>
    /// and completes, sorted by sender, once every member of the open epoch has gathered under it.
    /// </summary>
    [AlwaysInterleave, Alias("Gather")]
    Task<ImmutableArray<Contribution>> Gather(string phase, Contribution contribution);
}
