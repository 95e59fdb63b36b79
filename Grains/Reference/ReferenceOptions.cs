namespace Resync.Reference;

/// <summary>Knobs of the EVT service (section "Resync:Evt").</summary>
public sealed class EvtOptions
{
    /// <summary>The configuration section: "Resync:Evt".</summary>
    public const string SectionName = "Resync:Evt";
    /// <summary>The default of <see cref="MaxPayloadBytes"/>.</summary>
    public const int DefaultMaxPayloadBytes = 64 * 1024;
    /// <summary>The default of <see cref="EventsPerProcessCall"/>.</summary>
    public const int DefaultEventsPerProcessCall = 1024;
    /// <summary>A retention for publishers without a need of their own: one hour. The service never applies it: every publish names its retention.</summary>
    public static readonly TimeSpan DefaultRetention = TimeSpan.FromHours(1);
    /// <summary>The default of <see cref="MaxRetention"/>.</summary>
    public static readonly TimeSpan DefaultMaxRetention = TimeSpan.FromDays(7);

    /// <summary>The largest event payload accepted.</summary>
    public int MaxPayloadBytes { get; set; } = DefaultMaxPayloadBytes;

    /// <summary>How many retained events one process call sends (bounded work per call).</summary>
    public int EventsPerProcessCall { get; set; } = DefaultEventsPerProcessCall;

    /// <summary>The longest retention a publisher may ask for.</summary>
    public TimeSpan MaxRetention { get; set; } = DefaultMaxRetention;
}

/// <summary>Knobs of the CKPT service (section "Resync:Ckpt").</summary>
public sealed class CkptOptions
{
    /// <summary>The configuration section: "Resync:Ckpt".</summary>
    public const string SectionName = "Resync:Ckpt";
    /// <summary>The default of <see cref="ChunkBytes"/>.</summary>
    public const int DefaultChunkBytes = 64 * 1024;
    /// <summary>The default of <see cref="MaxSectionBytes"/>.</summary>
    public const int DefaultMaxSectionBytes = 4 * 1024 * 1024;
    /// <summary>The default of <see cref="MaxCheckpointBytes"/>.</summary>
    public const long DefaultMaxCheckpointBytes = 64L * 1024 * 1024;

    /// <summary>How many bytes of section data one process call sends (bounded work per call).</summary>
    public int ChunkBytes { get; set; } = DefaultChunkBytes;

    /// <summary>The largest section accepted.</summary>
    public int MaxSectionBytes { get; set; } = DefaultMaxSectionBytes;

    /// <summary>The largest checkpoint accepted, all sections together.</summary>
    public long MaxCheckpointBytes { get; set; } = DefaultMaxCheckpointBytes;
}

internal sealed class ReferenceOptionsValidator : IValidateOptions<EvtOptions>, IValidateOptions<CkptOptions>
{
    public ValidateOptionsResult Validate(string? name, EvtOptions options) =>
        options.MaxPayloadBytes < 1 ? ValidateOptionsResult.Fail($"{nameof(EvtOptions.MaxPayloadBytes)} must be positive.")
        : options.EventsPerProcessCall < 1 ? ValidateOptionsResult.Fail($"{nameof(EvtOptions.EventsPerProcessCall)} must be positive.")
        : options.MaxRetention <= TimeSpan.Zero ? ValidateOptionsResult.Fail($"{nameof(EvtOptions.MaxRetention)} must be positive.")
        : ValidateOptionsResult.Success;

    public ValidateOptionsResult Validate(string? name, CkptOptions options) =>
        options.ChunkBytes < 1 ? ValidateOptionsResult.Fail($"{nameof(CkptOptions.ChunkBytes)} must be positive.")
        : options.MaxSectionBytes < 1 ? ValidateOptionsResult.Fail($"{nameof(CkptOptions.MaxSectionBytes)} must be positive.")
        : options.MaxCheckpointBytes < options.MaxSectionBytes ? ValidateOptionsResult.Fail($"{nameof(CkptOptions.MaxCheckpointBytes)} must be at least {nameof(CkptOptions.MaxSectionBytes)}.")
        : ValidateOptionsResult.Success;
}
