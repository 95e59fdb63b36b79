namespace Resync;

/// <summary>
/// A payload that may be large says how large, so that deliveries are cut into bounded batches; any other
/// payload counts as small (<see cref="DefaultBytes"/>).
/// </summary>
public interface ISizedPayload
{
    public const int DefaultBytes = 256;

    /// <summary>About how many bytes the payload takes on the wire.</summary>
    int Bytes { get; }
}
