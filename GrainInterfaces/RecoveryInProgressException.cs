namespace Resync;

/// <summary>
/// A write reached a replica whose service is synchronizing (contract item 8). Retry after the round
/// of <see cref="Epoch"/> activates or aborts the service.
/// </summary>
[GenerateSerializer, Alias("resync.recovery-in-progress")]
public sealed class RecoveryInProgressException : Exception
{
    /// <summary>A write to the replica of <paramref name="service"/> on <paramref name="processor"/> found it synchronizing in the round of <paramref name="epoch"/>.</summary>
    public RecoveryInProgressException(long epoch, string service, string processor)
        : base($"Recovery in progress: service '{service}' on processor '{processor}' is synchronizing for epoch {epoch}; retry.")
    {
        Epoch = epoch;
        Service = service;
        Processor = processor;
    }

    /// <summary>The epoch of the round that synchronizes the service.</summary>
    [Id(0)] public long Epoch { get; }
    /// <summary>The service whose replica refused the write.</summary>
    [Id(1)] public string Service { get; } = "";
    /// <summary>The processor whose replica refused the write.</summary>
    [Id(2)] public string Processor { get; } = "";
}
