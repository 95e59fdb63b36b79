namespace Resync.Protocol;

/// <summary>Why a round ended other than by completing.</summary>
internal enum RoundFailure
{
    /// <summary>It did not fail: a newer configuration superseded it.</summary>
    None,

    /// <summary>The step's service failed it (a callback threw, or never returned): it counts toward <c>ServiceFailureThreshold</c>.</summary>
    Service,

    /// <summary>The cluster under it failed (a silo stopped or died, an activation was lost): retried, and no service's fault.</summary>
    Cluster,
}

internal static class RoundFailures
{
    /// <summary>
    /// Who is to blame for a replica call that threw: the runtime's refusals to deliver it (the replica's silo
    /// is stopping, gone, or unreachable: <see cref="SiloUnavailableException"/> is one) are the cluster's;
    /// anything the call itself threw is the service's.
    /// </summary>
    public static RoundFailure Of(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is OrleansMessageRejectionException)
            {
                return RoundFailure.Cluster;
            }
        }

        return RoundFailure.Service;
    }
}
