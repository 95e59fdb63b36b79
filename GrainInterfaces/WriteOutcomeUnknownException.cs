namespace Resync;

/// <summary>
/// A replicated write reached some members' replicas but not all: a round began on one of them (it refused
/// with <see cref="RecoveryInProgressException"/>) or one could not be reached. The write is in doubt, not
/// lost and not done: the replicas that applied it keep it, and the next round spreads it to every member
/// if any of them survives, or drops it if none does. A blind retry may apply it twice. Read the item once
/// the round is over and write again only if it is not there, or make the write idempotent (an absolute
/// value rather than a change, or an id of its own that the service checks).
/// </summary>
[GenerateSerializer, Alias("resync.write-outcome-unknown")]
public sealed class WriteOutcomeUnknownException : Exception
{
    /// <summary>Creates the exception for a write of <paramref name="service"/> that <paramref name="processor"/> coordinated.</summary>
    public WriteOutcomeUnknownException(string service, string processor, int applied, int replicas, Exception cause)
        : base($"Write outcome unknown: service '{service}' on processor '{processor}' had the write applied on {applied} of {replicas} replicas " +
            $"when another refused it ({FirstLine(cause)}). The next round keeps it if a replica that applied it survives; read after the round " +
            "before you retry, or make the write idempotent.", cause)
    {
        Service = service;
        Processor = processor;
        Applied = applied;
        Replicas = replicas;
    }

    /// <summary>The service that was written.</summary>
    [Id(0)] public string Service { get; } = "";

    /// <summary>The processor whose replica coordinated the write.</summary>
    [Id(1)] public string Processor { get; } = "";

    /// <summary>How many replicas applied the write (the coordinator's own is not among them: it applies last).</summary>
    [Id(2)] public int Applied { get; }

    /// <summary>How many replicas the write had to reach, the coordinator's included.</summary>
    [Id(3)] public int Replicas { get; }

    private static string FirstLine(Exception cause) => cause.Message.Split('\n', 2)[0].TrimEnd();
}
