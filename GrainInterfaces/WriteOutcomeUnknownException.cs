namespace Resync;

/// <summary>
/// A replicated write reached some members' replicas but not all: a round began on the others (they refused
/// with <see cref="RecoveryInProgressException"/>), or one failed in a way that may have applied it (it could not
/// be reached, it did not answer). It is not acknowledged, but not lost either: the coordinating replica applied it
/// too and delivers it to the ones that refused once their round lets them, and a round's merge carries it from
/// any replica that holds it. It takes effect everywhere
/// unless every replica that holds it fails first. So do not retry blindly (a retry may apply it twice): read
/// the item once the round is over and write again only if it is not there, or make the write idempotent (an
/// absolute value rather than a change, or an id of its own that the service checks).
/// </summary>
[GenerateSerializer, Alias("resync.write-outcome-unknown")]
public sealed class WriteOutcomeUnknownException : Exception
{
    /// <summary>Creates the exception for a write of <paramref name="service"/> that <paramref name="processor"/> coordinated.</summary>
    public WriteOutcomeUnknownException(string service, string processor, int applied, int replicas, Exception cause)
        : base($"Write outcome unknown: service '{service}' on processor '{processor}' applied the write on {applied} of {replicas} replicas " +
            $"when another refused it ({FirstLine(cause)}); the rest get it once their round lets them, so it takes effect unless every replica " +
            "that holds it fails first. Read after the round before you retry, or make the write idempotent.", cause)
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

    /// <summary>How many replicas applied the write when the client was answered, the coordinator's own included.</summary>
    [Id(2)] public int Applied { get; }

    /// <summary>How many replicas the write had to reach, the coordinator's included.</summary>
    [Id(3)] public int Replicas { get; }

    private static string FirstLine(Exception cause) => cause.Message.Split('\n', 2)[0].TrimEnd();
}
