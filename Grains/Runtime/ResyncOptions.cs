namespace Resync.Runtime;

/// <summary>The engine's knobs, bound as <c>IOptions&lt;ResyncOptions&gt;</c> (section "Resync").</summary>
public sealed class ResyncOptions
{
    public const string SectionName = "Resync";

    /// <summary>The grain storage that holds the configuration and its epoch counter.</summary>
    public const string StorageName = "resync";

    /// <summary>
    /// The key of the engine's clock: the <see cref="TimeProvider"/> that its deadlines, watchdog,
    /// coalescing and bounded waits read. It is the silo's TimeProvider unless a test registers its own
    /// under this key, which then controls the engine's time without touching Orleans'.
    /// </summary>
    public const string ClockKey = "resync.clock";

    public static readonly TimeSpan DefaultAbortTimeout = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultWriteWait = TimeSpan.FromSeconds(2);
    public const int DefaultSendBatch = 64;
    public const int DefaultDeliveryBatchBytes = 8 * 1024 * 1024;
    public const int DefaultForwardBytes = 32 * 1024;
    public const int DefaultHistoryLength = 100;
    public static readonly TimeSpan DefaultMembershipSettle = TimeSpan.FromMilliseconds(20);
    public static readonly TimeSpan DefaultMaxRetryPause = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultNoticeTimeout = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultActivityInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultChangeSettle = TimeSpan.FromMilliseconds(0.5);
    public static readonly TimeSpan DefaultMaxChangeDelay = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan DefaultStepDeadline = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan DefaultRoundDeadline = TimeSpan.FromSeconds(60);
    public const int DefaultServiceFailureThreshold = 3;
    public static readonly TimeSpan DefaultEvictedSiloReturn = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultWarmKeep = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultRehearsalTimeout = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultDepartureWait = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the sequencer of an aborted round stays to hear its members confirm the abort. Nothing waits for
    /// it: the next round starts at once, and a member that is gone is never waited for.
    /// </summary>
    public TimeSpan AbortTimeout { get; set; } = DefaultAbortTimeout;

    /// <summary>How long a write to a synchronizing replica waits before it fails with "recovery in progress, retry".</summary>
    public TimeSpan WriteWait { get; set; } = DefaultWriteWait;

    /// <summary>
    /// What a replica's process sends travels with its done answer; once it has more than this many
    /// contributions unsent, they go to the round ahead of it, so that no message grows with a transfer.
    /// </summary>
    public int SendBatch { get; set; } = DefaultSendBatch;

    /// <summary>
    /// The most a notice carries of what a step delivered to a member (estimated, see <see cref="ISizedPayload"/>);
    /// the member fetches the rest from the sequencer in batches of this size. Orleans refuses a message over
    /// 100 MB, and a large one holds up the connection it travels on.
    /// </summary>
    public int DeliveryBatchBytes { get; set; } = DefaultDeliveryBatchBytes;

    /// <summary>
    /// A send addressed to some members only whose payload is at least this large (estimated, see
    /// <see cref="ISizedPayload"/>) goes straight to each recipient's inbox on the recipient's silo, and only a
    /// stand-in goes through the round's sequencer: its bytes cross the network once, wherever the sequencer sits
    /// (a checkpoint sent to a joiner). Smaller sends, and sends to every member, go through the sequencer.
    /// </summary>
    public int ForwardBytes { get; set; } = DefaultForwardBytes;

    /// <summary>Whether every silo hosts a silo processor that joins and leaves with the silo.</summary>
    public bool SiloProcessors { get; set; } = true;

    /// <summary>
    /// Whether a silo rehearses a round before its processor joins (see <c>IConfigurationGrain.Rehearse</c>): every
    /// service's callbacks run once on the silo's throwaway rehearsal replicas, so that the round that takes the silo
    /// in does not wait for its process to compile and load that code. A service whose callbacks act outside their
    /// replica skips those acts when <c>SyncRound.IsRehearsal</c>, or turns the rehearsal off here.
    /// </summary>
    public bool RehearseBeforeJoining { get; set; } = true;

    /// <summary>How long a silo waits for its rehearsal; it joins when the rehearsal ends, fails, or runs out of this.</summary>
    public TimeSpan RehearsalTimeout { get; set; } = DefaultRehearsalTimeout;

    /// <summary>
    /// How long a silo that stops cleanly waits, while it still serves, for the round that settles its processor's
    /// departure; its shutdown then goes on, that round completed or not.
    /// </summary>
    public TimeSpan DepartureWait { get; set; } = DefaultDepartureWait;

    /// <summary>How long a silo's membership proposals wait for a burst of membership changes to settle before it proposes.</summary>
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

    /// <summary>
    /// Coalescing of bursts: a change that comes less than this after the previous one was handled, while that one's
    /// round is still in flight, aborts it but defers the next round until the changes stop for this long
    /// (at most <see cref="MaxChangeDelay"/>). A change after a quiet spell starts its round at once. The default,
    /// 0.5 ms, is several times the gap between the changes of a client that sends them back to back in the
    /// silo's process; a slower rhythm doubles it for the burst (<see cref="Protocol.ChangeBursts"/>).
    /// </summary>
    public TimeSpan ChangeSettle { get; set; } = DefaultChangeSettle;

    /// <summary>The longest a burst of changes may defer the next round.</summary>
    public TimeSpan MaxChangeDelay { get; set; } = DefaultMaxChangeDelay;

    /// <summary>How long one phase of a step (barrier, processing, the final activation) may take before the processors it waits for are reported, and evicted under <see cref="SlowProcessorPolicy.Evict"/>.</summary>
    public TimeSpan StepDeadline { get; set; } = DefaultStepDeadline;

    /// <summary>How long a whole round may take before it is aborted as failed and retried under a new epoch.</summary>
    public TimeSpan RoundDeadline { get; set; } = DefaultRoundDeadline;

    /// <summary>What happens to the processors a step still waits for at its deadline.</summary>
    public SlowProcessorPolicy SlowProcessors { get; set; } = SlowProcessorPolicy.Evict;

    /// <summary>After this many consecutive failed rounds of the same service, status, log and metric report the service as failing.</summary>
    public int ServiceFailureThreshold { get; set; } = DefaultServiceFailureThreshold;

    /// <summary>
    /// How long after its eviction a silo processor whose silo is still active and ready is taken back (a logical
    /// processor is taken back when its caller joins it again). One that is still slow is evicted again at the
    /// step deadline: a slow silo costs two rounds per this period, not one per step.
    /// </summary>
    public TimeSpan EvictedSiloReturn { get; set; } = DefaultEvictedSiloReturn;

    /// <summary>
    /// How long the next epoch's sequencer and barrier, activated when a round ends so that the next configuration
    /// finds them in memory, wait for that configuration before they deactivate.
    /// </summary>
    public TimeSpan WarmKeep { get; set; } = DefaultWarmKeep;

    /// <summary>How many finished rounds the configuration grain remembers.</summary>
    public int HistoryLength { get; set; } = DefaultHistoryLength;
}

/// <summary>What a round does with processors that miss a step's deadline.</summary>
public enum SlowProcessorPolicy
{
    /// <summary>The configuration grain makes a new configuration without them; they may join again later.</summary>
    Evict,

    /// <summary>Keep waiting and keep reporting them, once per deadline; the round deadline still applies.</summary>
    Wait,
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

        if (options.SendBatch < 1 || options.DeliveryBatchBytes < 1 || options.ForwardBytes < 1)
        {
            failures.Add($"{nameof(ResyncOptions.SendBatch)}, {nameof(ResyncOptions.DeliveryBatchBytes)} and {nameof(ResyncOptions.ForwardBytes)} must be at least 1.");
        }

        if (options.WriteWait < TimeSpan.Zero)
        {
            failures.Add($"{nameof(ResyncOptions.WriteWait)} must not be negative.");
        }

        if (options.ChangeSettle < TimeSpan.Zero || options.MaxChangeDelay < options.ChangeSettle)
        {
            failures.Add($"{nameof(ResyncOptions.ChangeSettle)} must not be negative, nor more than {nameof(ResyncOptions.MaxChangeDelay)}.");
        }

        if (options.StepDeadline <= TimeSpan.Zero || options.RoundDeadline <= options.StepDeadline)
        {
            failures.Add($"{nameof(ResyncOptions.StepDeadline)} must be positive and shorter than {nameof(ResyncOptions.RoundDeadline)}.");
        }

        if (options.ServiceFailureThreshold < 1)
        {
            failures.Add($"{nameof(ResyncOptions.ServiceFailureThreshold)} must be at least 1.");
        }

        if (options.EvictedSiloReturn <= TimeSpan.Zero || options.WarmKeep <= TimeSpan.Zero || options.RehearsalTimeout <= TimeSpan.Zero || options.DepartureWait <= TimeSpan.Zero)
        {
            failures.Add($"{nameof(ResyncOptions.EvictedSiloReturn)}, {nameof(ResyncOptions.WarmKeep)}, {nameof(ResyncOptions.RehearsalTimeout)} and {nameof(ResyncOptions.DepartureWait)} must be positive.");
        }

        if (options.HistoryLength is < 1 or > 100_000)
        {
            failures.Add($"{nameof(ResyncOptions.HistoryLength)} must be between 1 and 100000.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
