namespace Resync;

/// <summary>
/// A write reached a replica whose service is synchronizing (contract item 8). Retry after the round
/// of <see cref="Epoch"/> activates or aborts the service.
/// </summary>
[GenerateSerializer, Alias("resync.recovery-in-progress")]
public sealed class RecoveryInProgressException : Exception
{
    public RecoveryInProgressException(long epoch, string service, string processor)
        : base($"Recovery in progress: service '{service}' on processor '{processor}' is synchronizing for epoch {epoch}; retry.")
    {
        Epoch = epoch;
        Service = service;
        Processor = processor;
    }

    [Id(0)] public long Epoch { get; }
    [Id(1)] public string Service { get; } = "";
    [Id(2)] public string Processor { get; } = "";
}
