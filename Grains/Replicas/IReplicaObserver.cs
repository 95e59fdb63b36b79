namespace Resync.Replicas;

/// <summary>One callback of a service replica, as an observer sees it: the service, its processor, which callback, the round's epoch and step.</summary>
internal readonly record struct ReplicaCallback(string Service, string Processor, string Name, long Epoch, int Step);

/// <summary>
/// Sees every callback of every service replica on its silo, when one is registered (the conformance kit registers one on its
/// test silos; production silos have none and pay nothing). It may hold a callback before it runs, to put a round in a phase.
/// </summary>
internal interface IReplicaObserver
{
    /// <summary>Called as <paramref name="callback"/> begins; the callback runs once this completes, and the result is disposed as it ends.</summary>
    ValueTask<IDisposable> EnterAsync(ReplicaCallback callback, CancellationToken cancellationToken);
}
