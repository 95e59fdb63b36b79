namespace Resync;

/// <summary>What a replica answers for one call of its process callback.</summary>
[GenerateSerializer, Alias("resync.process-result")]
public enum ProcessResult
{
    /// <summary>The replica has sent everything it had to send for this round.</summary>
    Done,
    /// <summary>There is more work; call again.</summary>
    More,
}
