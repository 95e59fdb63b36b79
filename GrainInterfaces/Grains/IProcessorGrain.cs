namespace Resync.Grains;

/// <summary>One per processor (key: the processor id): the node that holds one replica of every service.</summary>
[Alias("resync.IProcessorGrain")]
public interface IProcessorGrain : IGrainWithStringKey
{
    /// <summary>
    /// The sequencer's notice that <paramref name="step"/> is next: activate the previous service with
    /// <paramref name="received"/> (what its round delivered to this processor, fetching the rest of a long
    /// delivery from the sequencer), stop writes to this one, drain writes in flight, and send the barrier request.
    /// </summary>
    [Alias("Prepare")] Task Prepare(RoundStep step, Delivery received);

    /// <summary>After every member's last process answered done: activate the last service with what it delivered here.</summary>
    [Alias("Complete")] Task Complete(RoundStep lastStep, Delivery received);

    /// <summary>Aborts the round of <paramref name="epoch"/> on this processor's replicas.</summary>
    [AlwaysInterleave, Alias("Abort")] Task Abort(long epoch);

    /// <summary>The processor left the configuration in <paramref name="epoch"/>; its replicas stay, but take no writes.</summary>
    [AlwaysInterleave, Alias("Leave")] Task Leave(long epoch);

    /// <summary>Activates this processor and its replicas ahead of its first round (a silo does before it joins).</summary>
    [Alias("Warm")] Task Warm();

    /// <summary>Drops every replica, as a crash loses a node's memory.</summary>
    [Alias("Crash")] Task Crash();
}
