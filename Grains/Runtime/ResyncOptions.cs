namespace Resync.Runtime;

/// <summary>
/// The engine's knobs, bound as <c>IOptions&lt;ResyncOptions&gt;</c> (section "Resync"), grouped by what they govern:
/// <see cref="Rounds"/> (the watchdog, retries, history), <see cref="Deadlines"/> (contract item 9), <see cref="Changes"/>
/// (bursts of configuration changes), <see cref="Notices"/> (the sequencer's messages), <see cref="Transfer"/> (what a
/// round carries), <see cref="Writes"/> (client writes, item 8) and <see cref="Silos"/> (how silos join and leave).
/// In configuration: "Resync:Deadlines:Step", "Resync:Silos:Processors", and so on.
/// </summary>
public sealed class ResyncOptions
{
    /// <summary>The configuration section: "Resync".</summary>
    public const string SectionName = "Resync";

    /// <summary>
    /// The grain storage that holds the configuration, its epoch counter and the round history. The host registers
    /// one under this name: <c>AddResyncMemoryStorage()</c> (lost when the cluster stops, so the epoch restarts) or
    /// a durable provider (the PostgreSQL mode uses ADO.NET storage).
    /// </summary>
    public const string StorageName = "resync";

    /// <summary>
    /// The grain directory of Resync's own grains (Orleans' distributed directory, registered under this name by
    /// <c>AddResync</c>); the host's other grains keep the directory they had.
    /// </summary>
    public const string DirectoryName = "resync-directory";

    /// <summary>
    /// The key of the engine's clock: the <see cref="TimeProvider"/> that its deadlines, watchdog,
    /// coalescing and bounded waits read. It is the silo's TimeProvider unless a test registers its own
    /// under this key, which then controls the engine's time without touching Orleans'.
    /// </summary>
    public const string ClockKey = "resync.clock";

    /// <summary>The configuration grain's watch over rounds ("Resync:Rounds").</summary>
    public RoundOptions Rounds { get; set; } = new();

    /// <summary>The deadlines of a round ("Resync:Deadlines").</summary>
    public DeadlineOptions Deadlines { get; set; } = new();

    /// <summary>How bursts of configuration changes are coalesced ("Resync:Changes").</summary>
    public ChangeOptions Changes { get; set; } = new();

    /// <summary>The sequencer's messages to the members ("Resync:Notices").</summary>
    public NoticeOptions Notices { get; set; } = new();

    /// <summary>What a round carries between members, and how ("Resync:Transfer").</summary>
    public TransferOptions Transfer { get; set; } = new();

    /// <summary>Client writes during a round ("Resync:Writes").</summary>
    public WriteOptions Writes { get; set; } = new();

    /// <summary>How silos take part ("Resync:Silos").</summary>
    public SiloOptions Silos { get; set; } = new();
}

/// <summary>The configuration grain's watch over rounds: when one is given up, how failures are retried and reported, what is remembered.</summary>
public sealed class RoundOptions
{
    /// <summary>The default of <see cref="StallTimeout"/>.</summary>
    public static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromSeconds(10);
    /// <summary>The default of <see cref="ActivityInterval"/>.</summary>
    public static readonly TimeSpan DefaultActivityInterval = TimeSpan.FromSeconds(1);
    /// <summary>The default of <see cref="MaxRetryPause"/>.</summary>
    public static readonly TimeSpan DefaultMaxRetryPause = TimeSpan.FromSeconds(5);
    /// <summary>The default of <see cref="ServiceFailureThreshold"/>.</summary>
    public const int DefaultServiceFailureThreshold = 3;
    /// <summary>The default of <see cref="WarmKeep"/>.</summary>
    public static readonly TimeSpan DefaultWarmKeep = TimeSpan.FromSeconds(10);
    /// <summary>The default of <see cref="HistoryLength"/>.</summary>
    public const int DefaultHistoryLength = 100;
    /// <summary>The default of <see cref="QuietRound"/>.</summary>
    public static readonly TimeSpan DefaultQuietRound = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long a round may go without any sign of life (a transition, a barrier arrival, a replica's
    /// activity report) before the configuration grain gives up on it and starts a new epoch with the same
    /// members: the round's sequencer or barrier may have died with a silo.
    /// </summary>
    public TimeSpan StallTimeout { get; set; } = DefaultStallTimeout;

    /// <summary>How often a replica that keeps processing reports that it is alive; well below <see cref="StallTimeout"/>.</summary>
    public TimeSpan ActivityInterval { get; set; } = DefaultActivityInterval;

    /// <summary>The longest pause before a failed round is retried under a new epoch (the pause doubles from 50 ms).</summary>
    public TimeSpan MaxRetryPause { get; set; } = DefaultMaxRetryPause;

    /// <summary>After this many consecutive failed rounds of the same service, status, log and metric report the service as failing.</summary>
    public int ServiceFailureThreshold { get; set; } = DefaultServiceFailureThreshold;

    /// <summary>
    /// How often a coming epoch's sequencer, activated with its barrier when a round ends so that the configuration
    /// finds them in memory and every silo knows where they are, checks that its epoch is still to come (within
    /// <see cref="WarmAhead"/>); it goes when it is not.
    /// </summary>
    public TimeSpan WarmKeep { get; set; } = DefaultWarmKeep;

    /// <summary>The default of <see cref="WarmAhead"/>.</summary>
    public const int DefaultWarmAhead = 2;

    /// <summary>
    /// How many epochs ahead a round's end warms sequencers and barriers (1 to 8). Two, so that the next epoch's pair was
    /// made a round earlier: a silo that crashes just after a round ends cannot take with it the pair that its round
    /// end was still registering, whose registration the directory then holds for its lease (1.2 s; BENCHMARKS.md).
    /// </summary>
    public int WarmAhead { get; set; } = DefaultWarmAhead;

    /// <summary>How many finished rounds the configuration grain remembers.</summary>
    public int HistoryLength { get; set; } = DefaultHistoryLength;

    /// <summary>
    /// A cluster whose configuration has not changed for this long since its last completed round runs a round of the
    /// same members (a new epoch): only rounds prune deletions' tombstones (<see cref="WriteOptions.TombstoneRetention"/>),
    /// so a quiet cluster still drops them, and its replicas compare their state. Zero turns it off.
    /// </summary>
    public TimeSpan QuietRound { get; set; } = DefaultQuietRound;
}

/// <summary>The deadlines of a round (contract item 9): a callback that never returns cannot hold the engine.</summary>
public sealed class DeadlineOptions
{
    /// <summary>The default of <see cref="Step"/>.</summary>
    public static readonly TimeSpan DefaultStep = TimeSpan.FromSeconds(5);
    /// <summary>The default of <see cref="Round"/>.</summary>
    public static readonly TimeSpan DefaultRound = TimeSpan.FromSeconds(60);
    /// <summary>The default of <see cref="EvictedSiloReturn"/>.</summary>
    public static readonly TimeSpan DefaultEvictedSiloReturn = TimeSpan.FromSeconds(30);

    /// <summary>How long one phase of a step (barrier, processing, the final activation) may take before the processors it waits for are reported, and evicted under <see cref="SlowProcessorPolicy.Evict"/>.</summary>
    public TimeSpan Step { get; set; } = DefaultStep;

    /// <summary>How long a whole round may take before it is aborted as failed and retried under a new epoch.</summary>
    public TimeSpan Round { get; set; } = DefaultRound;

    /// <summary>What happens to the processors a step still waits for at its deadline.</summary>
    public SlowProcessorPolicy SlowProcessors { get; set; } = SlowProcessorPolicy.Evict;

    /// <summary>
    /// How long after its eviction a silo processor whose silo is still active and ready is taken back (a logical
    /// processor is taken back when its caller joins it again). One that is still slow is evicted again at the
    /// step deadline: a slow silo costs two rounds per this period, not one per step.
    /// </summary>
    public TimeSpan EvictedSiloReturn { get; set; } = DefaultEvictedSiloReturn;
}

/// <summary>Bursts of configuration changes: how they are coalesced into fewer rounds.</summary>
public sealed class ChangeOptions
{
    /// <summary>The default of <see cref="Settle"/>.</summary>
    public static readonly TimeSpan DefaultSettle = TimeSpan.FromMilliseconds(0.5);
    /// <summary>The default of <see cref="MaxDelay"/>.</summary>
    public static readonly TimeSpan DefaultMaxDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// A change that comes less than this after the previous one was handled, while that one's round is still in
    /// flight, aborts it but defers the next round until the changes stop for this long (at most <see cref="MaxDelay"/>).
    /// A change after a quiet spell starts its round at once. The default, 0.5 ms, is several times the gap between the
    /// changes of a client that sends them back to back in the silo's process; a slower rhythm doubles it for the burst
    /// (<see cref="Protocol.ChangeBursts"/>).
    /// </summary>
    public TimeSpan Settle { get; set; } = DefaultSettle;

    /// <summary>The longest a burst of changes may defer the next round.</summary>
    public TimeSpan MaxDelay { get; set; } = DefaultMaxDelay;
}

/// <summary>The sequencer's messages to the members.</summary>
public sealed class NoticeOptions
{
    /// <summary>The default of <see cref="Timeout"/>.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(2);
    /// <summary>The default of <see cref="AbortTimeout"/>.</summary>
    public static readonly TimeSpan DefaultAbortTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long the sequencer waits for one attempt of a notice (enter, step, final activation) before it sends it again.</summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    /// <summary>
    /// How long the sequencer of an aborted round stays to hear its members confirm the abort. Nothing waits for
    /// it: the next round starts at once, and a member that is gone is never waited for.
    /// </summary>
    public TimeSpan AbortTimeout { get; set; } = DefaultAbortTimeout;
}

/// <summary>What a round carries between members, and how.</summary>
public sealed class TransferOptions
{
    /// <summary>The default of <see cref="SendBatch"/>.</summary>
    public const int DefaultSendBatch = 64;
    /// <summary>The default of <see cref="DeliveryBatchBytes"/>.</summary>
    public const int DefaultDeliveryBatchBytes = 8 * 1024 * 1024;
    /// <summary>The default of <see cref="ForwardBytes"/>.</summary>
    public const int DefaultForwardBytes = 32 * 1024;

    /// <summary>
    /// What a replica's process sends travels with its done answer; once it has more than this many
    /// contributions unsent, they go to the round ahead of it, so that no message grows with a transfer.
    /// </summary>
    public int SendBatch { get; set; } = DefaultSendBatch;

    /// <summary>
    /// The most a notice carries of what a step delivered to a member (measured, see <see cref="Contribution.Bytes"/>);
    /// the member fetches the rest from the sequencer in batches of this size. Orleans refuses a message over
    /// 100 MB, and a large one holds up the connection it travels on.
    /// </summary>
    public int DeliveryBatchBytes { get; set; } = DefaultDeliveryBatchBytes;

    /// <summary>
    /// A send addressed to some members only whose payload is at least this large (measured, see
    /// <see cref="Contribution.Bytes"/>) goes straight to each recipient's inbox on the recipient's silo, and only a
    /// stand-in goes through the round's sequencer: its bytes cross the network once, wherever the sequencer sits
    /// (a checkpoint sent to a joiner). Smaller sends, and sends to every member, go through the sequencer.
    /// </summary>
    public int ForwardBytes { get; set; } = DefaultForwardBytes;
}

/// <summary>Client writes during a round (contract item 8), and the tombstones that deletions leave.</summary>
public sealed class WriteOptions
{
    /// <summary>The default of <see cref="Wait"/>.</summary>
    public static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(2);

    /// <summary>The default of <see cref="TombstoneRetention"/>.</summary>
    public static readonly TimeSpan DefaultTombstoneRetention = TimeSpan.FromMinutes(10);

    /// <summary>How long a write to a synchronizing replica waits before it fails with "recovery in progress, retry".</summary>
    public TimeSpan Wait { get; set; } = DefaultWait;

    /// <summary>
    /// How long a deletion's tombstone is kept (<c>VersionedItemsSyncService</c>'s items, EVT's closed channels): it goes, on
    /// every member, at the first round that comes this long after a round that followed the deletion. A deleted item never
    /// comes back, whatever the retention; it is how long a processor that left may come back and still bring items that only
    /// it holds (writes it made in doubt just before it left). Only rounds prune: a replica holds every deletion since the
    /// newest round that is this old, and a quiet cluster runs a round every <see cref="RoundOptions.QuietRound"/>.
    /// </summary>
    public TimeSpan TombstoneRetention { get; set; } = DefaultTombstoneRetention;
}

/// <summary>How silos take part: their own processors, their rehearsal before joining, their departure.</summary>
public sealed class SiloOptions
{
    /// <summary>The default of <see cref="RehearsalTimeout"/>.</summary>
    public static readonly TimeSpan DefaultRehearsalTimeout = TimeSpan.FromSeconds(10);
    /// <summary>The default of <see cref="DepartureWait"/>.</summary>
    public static readonly TimeSpan DefaultDepartureWait = TimeSpan.FromSeconds(5);
    /// <summary>The default of <see cref="MembershipSettle"/>.</summary>
    public static readonly TimeSpan DefaultMembershipSettle = TimeSpan.FromMilliseconds(20);
    /// <summary>The default of <see cref="StopLimit"/>.</summary>
    public static readonly TimeSpan DefaultStopLimit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether every silo hosts a silo processor that joins and leaves with the silo. Off unless chosen: a library's
    /// host decides what its members are (a TestCluster's silos would otherwise be members beside the processors a
    /// test joins). Resync's own silo program turns it on, so that a silo's arrival and departure change the configuration.
    /// </summary>
    public bool Processors { get; set; }

    /// <summary>
    /// Whether a silo rehearses a round before its processor joins (see <c>IConfigurationMembership.Rehearse</c>): every
    /// service's callbacks run once on the silo's throwaway rehearsal replicas, so that the round that takes the silo
    /// in does not wait for its process to compile and load that code. A service whose callbacks act outside their
    /// replica skips those acts when <c>SyncRound.IsRehearsal</c>, or turns the rehearsal off here. Off unless chosen,
    /// because it runs the services' callbacks outside any round; Resync's own silo program turns it on.
    /// </summary>
    public bool Rehearse { get; set; }

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
    /// The longest a silo host takes to stop once asked (SIGTERM, Ctrl+C): past it, the process says so in one line and
    /// ends at once. A silo cut off from its peers and its database otherwise waited minutes on Orleans' retries.
    /// </summary>
    public TimeSpan StopLimit { get; set; } = DefaultStopLimit;
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
        var (rounds, deadlines, changes, notices, transfer, silos) = (options.Rounds, options.Deadlines, options.Changes, options.Notices, options.Transfer, options.Silos);
        List<string> failures = [];
        if (notices.Timeout <= TimeSpan.Zero || notices.AbortTimeout <= TimeSpan.Zero)
        {
            failures.Add("Notices:Timeout and Notices:AbortTimeout must be positive.");
        }

        if (rounds.MaxRetryPause <= TimeSpan.Zero || silos.MembershipSettle < TimeSpan.Zero)
        {
            failures.Add("Rounds:MaxRetryPause must be positive, Silos:MembershipSettle not negative.");
        }

        if (rounds.ActivityInterval <= TimeSpan.Zero || rounds.StallTimeout <= rounds.ActivityInterval * 2)
        {
            failures.Add("Rounds:StallTimeout must be more than twice Rounds:ActivityInterval, which must be positive.");
        }

        if (transfer.SendBatch < 1 || transfer.DeliveryBatchBytes < 1 || transfer.ForwardBytes < 1)
        {
            failures.Add("Transfer:SendBatch, Transfer:DeliveryBatchBytes and Transfer:ForwardBytes must be at least 1.");
        }

        if (options.Writes.TombstoneRetention < TimeSpan.Zero || options.Rounds.QuietRound < TimeSpan.Zero)
        {
            failures.Add("Writes:TombstoneRetention and Rounds:QuietRound must not be negative.");
        }

        if (options.Writes.Wait < TimeSpan.Zero)
        {
            failures.Add("Writes:Wait must not be negative.");
        }

        if (changes.Settle < TimeSpan.Zero || changes.MaxDelay < changes.Settle)
        {
            failures.Add("Changes:Settle must not be negative, nor more than Changes:MaxDelay.");
        }

        if (deadlines.Step <= TimeSpan.Zero || deadlines.Round <= deadlines.Step)
        {
            failures.Add("Deadlines:Step must be positive and shorter than Deadlines:Round.");
        }

        if (rounds.ServiceFailureThreshold < 1)
        {
            failures.Add("Rounds:ServiceFailureThreshold must be at least 1.");
        }

        if (rounds.WarmAhead is < 1 or > 8)
        {
            failures.Add("Rounds:WarmAhead must be 1 to 8.");
        }

        if (deadlines.EvictedSiloReturn <= TimeSpan.Zero || rounds.WarmKeep <= TimeSpan.Zero || silos.RehearsalTimeout <= TimeSpan.Zero || silos.DepartureWait <= TimeSpan.Zero)
        {
            failures.Add("Deadlines:EvictedSiloReturn, Rounds:WarmKeep, Silos:RehearsalTimeout and Silos:DepartureWait must be positive.");
        }

        if (silos.StopLimit <= silos.DepartureWait + 2 * notices.Timeout)
        {
            failures.Add("Silos:StopLimit must be longer than Silos:DepartureWait and two Notices:Timeout, a departure's longest wait.");
        }

        if (rounds.HistoryLength is < 1 or > 100_000)
        {
            failures.Add("Rounds:HistoryLength must be between 1 and 100000.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
