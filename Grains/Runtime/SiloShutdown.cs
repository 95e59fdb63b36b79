namespace Resync.Runtime;

/// <summary>
/// Cancelled when the silo's own shutdown begins (the Active stage of its lifecycle stops), which comes after its
/// host's StoppingAsync, where a stopping silo waits for the round of its departure. A wait that must not hold a
/// stopping silo (a gathering waits for every member, and the silo's shutdown waits for the requests in flight)
/// ends here, so that it does not cut short the departure's round when the stopping silo hosts its sequencer.
/// </summary>
internal sealed class SiloShutdown : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _begun = new();
    private readonly CancellationTokenSource _leaving = new();

    public CancellationToken Begun => _begun.Token;

    /// <summary>
    /// Cancelled once the silo is on its way out: its host began to stop (<see cref="HostStopping"/>, before the silo's
    /// departure round), or its own shutdown began. What serves only later rounds (a warm-up) is not started from then on:
    /// the shutdown would deactivate it half-way.
    /// </summary>
    public CancellationToken Leaving => _leaving.Token;

    /// <summary>The host began to stop: the silo departs now.</summary>
    public void HostStopping() => _leaving.Cancel();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloShutdown), ServiceLifecycleStage.Active, _ => Task.CompletedTask, async _ =>
        {
            await _leaving.CancelAsync();
            await _begun.CancelAsync();
        });
}
