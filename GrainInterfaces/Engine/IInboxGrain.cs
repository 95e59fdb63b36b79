namespace Resync.Engine;

/// <summary>
/// One per processor (key: the processor id), on that processor's silo: the large contributions addressed to it
/// that their senders forwarded straight here, kept from the sender's process to this processor's activation of
/// the service (see <see cref="Forwarded"/>).
/// </summary>
[Alias("resync.IInboxGrain")]
internal interface IInboxGrain : IGrainWithStringKey
{
    /// <summary>Keeps <paramref name="contributions"/>; those of a round already over here are dropped and counted.</summary>
    [Alias("Put")] Task Put(ImmutableArray<Contribution> contributions);

    /// <summary>What was forwarded here for <paramref name="service"/> in the round of <paramref name="epoch"/>.</summary>
    [Alias("Read")] Task<ImmutableArray<Contribution>> Read(long epoch, string service);

    /// <summary>Forgets what <paramref name="service"/>'s step of <paramref name="epoch"/> forwarded: it was activated everywhere it could be asked for.</summary>
    [Alias("Release")] Task Release(long epoch, string service);

    /// <summary>How many forwarded contributions it holds: what a processor's inbox costs in memory is visible.</summary>
    [Alias("Held")] Task<int> Held();

    /// <summary>Forgets every round up to <paramref name="epoch"/> and refuses what still comes for them (an aborted round's late posts).</summary>
    [Alias("Drop")] Task Drop(long epoch);
}
