namespace Resync.Grains;

/// <summary>
/// One per epoch and service (key: the epoch, with the service name as extension): the channel through
/// which replicas send their contributions during process (contract items 4 and 7).
/// </summary>
[Alias("resync.IExchangeGrain")]
public interface IExchangeGrain : IGrainWithIntegerCompoundKey
{
    /// <summary>Stores contributions; once this returns they are delivered. Other epochs' are dropped.</summary>
    [Alias("Post")] Task Post(ImmutableArray<Contribution> contributions);

    /// <summary>Everything addressed to <paramref name="recipient"/> or to all, sorted by sender and sequence.</summary>
    [Alias("Collect")] Task<ImmutableArray<Contribution>> Collect(string recipient);

    /// <summary>
    /// An all-to-all exchange inside process: stores <paramref name="contribution"/> under <paramref name="phase"/>
    /// and completes, sorted by sender, once every one of the <paramref name="members"/> has gathered under it.
    /// </summary>
    [AlwaysInterleave, Alias("Gather")]
    Task<ImmutableArray<Contribution>> Gather(string phase, Contribution contribution, ImmutableArray<string> members);
}
