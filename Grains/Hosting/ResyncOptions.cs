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
