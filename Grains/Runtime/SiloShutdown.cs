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

    public CancellationToken Begun => _begun.Token;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloShutdown), ServiceLifecycleStage.Active, _ => Task.CompletedTask, _ => _begun.CancelAsync());
}
