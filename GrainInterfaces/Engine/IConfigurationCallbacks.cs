namespace Resync.Engine;

/// <summary>The engine's side of the configuration grain: what its sequencers, barriers, exchanges and replicas report.</summary>
[Alias("resync.IConfigurationCallbacks")]
internal interface IConfigurationCallbacks : IGrainWithStringKey
{
    /// <summary>
    /// The sequencer of <paramref name="epoch"/> evicts processors that missed a step deadline: a new
    /// configuration without them, if <paramref name="epoch"/> is still current. They keep their replicas
    /// and may join again.
    /// </summary>
    [Alias("Evict")] Task<ConfigurationChange> Evict(long epoch, ImmutableArray<string> processors, string reason);

    /// <summary>A sequencer reports that its round ended.</summary>
    [OneWay, Alias("OnRoundEnded")] Task OnRoundEnded(RoundSummary summary);

    /// <summary>A barrier, exchange or replica reports traffic that it dropped.</summary>
    [OneWay, Alias("OnDropped")] Task OnDropped(DropCounts counts);
}
