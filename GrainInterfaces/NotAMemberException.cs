namespace Resync;

/// <summary>A client operation went through a processor that is not a member of the configuration.</summary>
[GenerateSerializer, Alias("resync.not-a-member")]
public sealed class NotAMemberException : Exception
{
    /// <summary>The operation went through <paramref name="processor"/>, which left the configuration in <paramref name="epoch"/>; <paramref name="epoch"/> is 0 when it is not a member for another reason.</summary>
    public NotAMemberException(string processor, long epoch)
        : base(epoch == 0
            ? $"Processor '{processor}' is not a member of the configuration; use a member."
            : $"Processor '{processor}' left the configuration in epoch {epoch}; use a member.")
    {
        Processor = processor;
        Epoch = epoch;
    }

    /// <summary>The processor that the operation went through.</summary>
    [Id(0)] public string Processor { get; } = "";
    /// <summary>The epoch in which the processor left; 0 when it is not a member of the configuration its replica last activated.</summary>
    [Id(1)] public long Epoch { get; }
}
