namespace Resync.Hosting;

/// <summary>The engine's knobs, bound as <c>IOptions&lt;ResyncOptions&gt;</c> (section "Resync").</summary>
public sealed class ResyncOptions
{
    public const string SectionName = "Resync";

    /// <summary>The grain storage that holds the configuration and its epoch counter.</summary>
    public const string StorageName = "resync";

    public static readonly TimeSpan DefaultAbortTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultAbortGrace = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultWriteWait = TimeSpan.FromSeconds(2);
    public const int DefaultHistoryLength = 100;
    public static readonly TimeSpan DefaultMembershipSettle = TimeSpan.FromMilliseconds(20);
    public static readonly TimeSpan DefaultMaxRetryPause = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultNoticeTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultActivityInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long a configuration change waits for the members of the superseded round to confirm its abort.</summary>
    public TimeSpan AbortTimeout { get; set; } = DefaultAbortTimeout;

    /// <summary>How long an abort waits for a service callback in flight on a replica to finish before the service's abort runs.</summary>
    public TimeSpan AbortGrace { get; set; } = DefaultAbortGrace;

    /// <summary>How long a write to a synchronizing replica waits before it fails with "recovery in progress, retry".</summary>
    public TimeSpan WriteWait { get; set; } = DefaultWriteWait;

    /// <summary>Whether every silo hosts a silo processor that joins and leaves with the silo.</summary>
    public bool SiloProcessors { get; set; } = true;

    /// <summary>How long the membership watcher waits for a burst of membership changes to settle before it proposes.</summary>
    public TimeSpan MembershipSettle { get; set; } = DefaultMembershipSettle;

    /// <summary>
    /// How long a round may go without any sign of life (a transition, a barrier arrival, a replica's
    /// activity report) before the configuration grain gives up on it and starts a new epoch with the same
    /// members: the round's sequencer or barrier may have died with a silo.
    /// </summary>
    public TimeSpan StallTimeout { get; set; } = DefaultStallTimeout;

    /// <summary>How often a replica that keeps processing reports that it is alive; well below <see cref="StallTimeout"/>.</summary>
    public TimeSpan ActivityInterval { get; set; } = DefaultActivityInterval;

    /// <summary>How long the sequencer waits for one attempt of a notice (step notice, final activation) before it sends it again.</summary>
    public TimeSpan NoticeTimeout { get; set; } = DefaultNoticeTimeout;

    /// <summary>The longest pause before a failed round is retried under a new epoch (the pause doubles from 50 ms).</summary>
    public TimeSpan MaxRetryPause { get; set; } = DefaultMaxRetryPause;

    /// <summary>How many finished rounds the configuration grain remembers.</summary>
    public int HistoryLength { get; set; } = DefaultHistoryLength;
}

internal sealed class ResyncOptionsValidator : IValidateOptions<ResyncOptions>
{
    public ValidateOptionsResult Validate(string? name, ResyncOptions options)
    {
        List<string> failures = [];
        if (options.AbortTimeout <= TimeSpan.Zero)
        {
            failures.Add($"{nameof(ResyncOptions.AbortTimeout)} must be positive.");
        }

        if (options.NoticeTimeout <= TimeSpan.Zero || options.MaxRetryPause <= TimeSpan.Zero || options.MembershipSettle < TimeSpan.Zero)
        {
            failures.Add($"{nameof(ResyncOptions.NoticeTimeout)} and {nameof(ResyncOptions.MaxRetryPause)} must be positive, {nameof(ResyncOptions.MembershipSettle)} not negative.");
        }

        if (options.ActivityInterval <= TimeSpan.Zero || options.StallTimeout <= options.ActivityInterval * 2)
        {
            failures.Add($"{nameof(ResyncOptions.StallTimeout)} must be more than twice {nameof(ResyncOptions.ActivityInterval)}, which must be positive.");
        }

        if (options.AbortGrace < TimeSpan.Zero)
        {
            failures.Add($"{nameof(ResyncOptions.AbortGrace)} must not be negative.");
        }

        if (options.WriteWait < TimeSpan.Zero)
        {
            failures.Add($"{nameof(ResyncOptions.WriteWait)} must not be negative.");
        }

        if (options.HistoryLength is < 1 or > 100_000)
        {
            failures.Add($"{nameof(ResyncOptions.HistoryLength)} must be between 1 and 100000.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
