namespace Resync.Engine;

/// <summary>One per processor (key: the processor id): the node that holds one replica of every service.</summary>
[Alias("resync.IProcessorGrain")]
internal interface IProcessorGrain : IGrainWithStringKey
{
    /// <summary>
    /// The sequencer's notice that the round of <paramref name="configuration"/> begins over <paramref name="services"/> (the
    /// cluster's agreed order): this processor enters the epoch (a round of an older epoch that it was in is superseded
    /// here) and sends its request for barrier 0, which names the services its silo has no replica of.
    /// Returns once the processor took the notice; a repeat is a counted duplicate.
    /// </summary>
    [Alias("Enter")] Task Enter(Configuration configuration, ImmutableArray<string> services);

    /// <summary>
    /// Barrier <c>step.Step</c> completed: activate the previous service with <paramref name="received"/> (what its round
    /// delivered here, fetching the rest of a long delivery from the sequencer), stop and drain writes to this one, init
    /// and process it until done, then send the request for the next barrier with what it sent. Returns once the
    /// processor took the notice (the step runs on); a repeat is a counted duplicate.
    /// </summary>
    [Alias("Step")] Task Step(RoundStep step, Delivery received);

    /// <summary>The last barrier completed: activate the last service with what it delivered here; returns once activated.</summary>
    [Alias("Finish")] Task Finish(RoundStep lastStep, Delivery received);

    /// <summary>Aborts the round of <paramref name="epoch"/> (over <paramref name="services"/>) on this processor's replicas.</summary>
    [AlwaysInterleave, Alias("Abort")] Task Abort(long epoch, ImmutableArray<string> services);

    /// <summary>The processor left the configuration in <paramref name="epoch"/>; its replicas stay, but take no writes.</summary>
    [AlwaysInterleave, Alias("Leave")] Task Leave(long epoch);

    /// <summary>
    /// The sequencer of <paramref name="epoch"/> is warm: this processor's silo resolves the address of its barrier
    /// now, while the grain directory is stable, instead of at its first barrier request after a membership change.
    /// </summary>
    [AlwaysInterleave, Alias("Expect")] Task Expect(long epoch);

    /// <summary>Activates this processor and its replicas ahead of its first round (a silo does before it joins).</summary>
    [Alias("Warm")] Task Warm();

    /// <summary>Drops every replica, as a crash loses a node's memory.</summary>
    [Alias("Crash")] Task Crash();
}
