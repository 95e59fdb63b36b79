namespace Resync.Engine;

/// <summary>One per epoch (key: the epoch): collects the members' barrier requests, barrier by barrier (one per step, and a last one).</summary>
[Alias("resync.IBarrierGrain")]
internal interface IBarrierGrain : IGrainWithIntegerKey
{
    /// <summary>Opens the <paramref name="barriers"/> barriers of the round for the members of <paramref name="configuration"/>.</summary>
    [Alias("Open")] Task Open(Configuration configuration, int barriers);

    [Alias("Arrive")] Task<BarrierVerdict> Arrive(BarrierRequest request);

    /// <summary>Ends the round: every later request is stale.</summary>
    [Alias("Close")] Task Close();

    /// <summary>Who barrier <paramref name="barrier"/> still waits for.</summary>
    [Alias("GetMissing")] Task<ImmutableArray<string>> GetMissing(int barrier);

    /// <summary>Nothing but the activation, ahead of the epoch's round.</summary>
    [Alias("Warm")] Task Warm();
}
