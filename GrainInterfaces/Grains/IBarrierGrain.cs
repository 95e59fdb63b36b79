namespace Resync.Grains;

/// <summary>One per epoch (key: the epoch): collects the members' barrier requests, step by step.</summary>
[Alias("resync.IBarrierGrain")]
public interface IBarrierGrain : IGrainWithIntegerKey
{
    /// <summary>Opens the barrier for the members of <paramref name="configuration"/> and its steps.</summary>
    [Alias("Open")] Task Open(Configuration configuration, int steps);

    [Alias("Arrive")] Task<BarrierVerdict> Arrive(BarrierRequest request);

    /// <summary>Ends the round: every later request is stale.</summary>
    [Alias("Close")] Task Close();

    /// <summary>Who the barrier of <paramref name="step"/> still waits for.</summary>
    [Alias("GetMissing")] Task<ImmutableArray<string>> GetMissing(int step);

    /// <summary>Nothing but the activation, ahead of the epoch's round.</summary>
    [OneWay, Alias("Warm")] Task Warm();
}
