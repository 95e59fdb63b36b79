namespace Resync;

/// <summary>A client operation went through a processor that is not a member of the configuration.</summary>
[GenerateSerializer, Alias("resync.not-a-member")]
public sealed class NotAMemberException : Exception
{
    public NotAMemberException(string processor, long epoch)
        : base(epoch == 0
            ? $"Processor '{processor}' is not a member of the configuration; use a member."
            : $"Processor '{processor}' left the configuration in epoch {epoch}; use a member.")
    {
        Processor = processor;
        Epoch = epoch;
    }

    [Id(0)] public string Processor { get; } = "";
    [Id(1)] public long Epoch { get; }
}
