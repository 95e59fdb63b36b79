using Orleans.GrainDirectory;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Resync.Placement;
using Resync.Protocol;
using Resync.Replicas;
using Resync.Runtime;

namespace Resync.Services;

/// <summary>
/// The base of every sync service: one grain per service and processor, holding that processor's replica.
/// Derive from it, keep the replica's state in fields (it lives and dies with the processor, as a node's
/// memory would), implement the four callbacks, and register the class on the silo builder with
/// <c>AddSyncService&lt;T&gt;(name)</c>. The engine calls the callbacks one at a time, in the contract's
/// order, and never for a round that this replica saw aborted: <see cref="SyncInitAsync"/> once per round,
/// <see cref="SyncProcessAsync"/> until it answers done, then <see cref="SyncActivateAsync"/> once, or
/// <see cref="SyncAbortAsync"/> if the round is superseded after init. Client writes go through
/// <see cref="EnterWriteAsync"/>, which holds them while the service synchronizes on this replica, and reach
/// the other members through <see cref="ReplicateAsync"/>. The grain is reentrant: a client method that reads
/// the state, awaits and then writes must hold <see cref="EnterExclusiveWriteAsync"/>. The helpers
/// <see cref="FullStateSyncService{TPart}"/> and <see cref="VersionedItemsSyncService{TItem}"/> implement the
/// callbacks for the two common patterns.
/// </summary>
[Reentrant, KeepAlive, ProcessorPlacement, GrainDirectory(GrainDirectoryName = ResyncOptions.DirectoryName)]
public abstract class SyncServiceGrain : Grain, ISyncReplica, IReplicaCallbacks
{
    // The engine's side of the replica (its turn, lifecycle, write gate and process loop) is the ReplicaHost under it.
    private readonly SemaphoreSlim _exclusiveWrites = new(1, 1);
    private ReplicaHost? _replica;
    private SyncRound? _round;
    private string? _serviceName;
    private IReplicaObserver? _observer;

    /// <summary>The processor whose replica this is.</summary>
    protected string Processor => this.GetPrimaryKeyString();

    /// <summary>The name under which this service is registered.</summary>
    protected string ServiceName => _serviceName ??= ServiceProvider.GetRequiredService<SyncServiceRegistry>().NameOf(GetType());

    /// <summary>The epoch of the round whose state this replica serves; 0 before its first round.</summary>
    protected long ActivatedEpoch => Replica.ActivatedEpoch;

    /// <summary>True while this replica's service synchronizes: writes wait or fail.</summary>
    protected bool IsSynchronizing => Replica.IsGated;

    /// <summary>The members of the round this replica last activated: the replicas that a write must reach.</summary>
    protected ImmutableArray<string> Members => Replica.Members;

    private ReplicaHost Replica => _replica ??= new ReplicaHost(
        Processor,
        ServiceName,
        ServiceProvider.GetRequiredService<IOptions<ResyncOptions>>().Value,
        ServiceProvider.GetRequiredKeyedService<TimeProvider>(ResyncOptions.ClockKey),
        ServiceProvider.GetRequiredService<TimeProvider>(),
        GrainFactory,
        new PayloadSizer(ServiceProvider.GetRequiredService<Serializer>()),
        this,
        DeactivateOnIdle,
        ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(GetType()));

    /// <summary>Starts this replica's part in a round: reset what a previous round staged and get ready to build.</summary>
    protected abstract ValueTask SyncInitAsync(SyncRound round, CancellationToken cancellationToken);

    /// <summary>Does a bounded amount of work and answers whether there is more. Send with <see cref="SyncRound.Send(object)"/>.</summary>
    protected abstract ValueTask<ProcessResult> SyncProcessAsync(SyncRound round, CancellationToken cancellationToken);

    /// <summary>Switches to the state built in this round; every member's process has answered done.</summary>
    protected abstract ValueTask SyncActivateAsync(SyncRound round, CancellationToken cancellationToken);

    /// <summary>Discards what this round staged and keeps the last activated state.</summary>
    protected abstract ValueTask SyncAbortAsync(SyncRound round);

    /// <summary>
    /// Admits one client write (contract item 8): at once when the service is not synchronizing on this
    /// replica, else after the round activates or aborts it, waiting at most <see cref="WriteOptions.Wait"/>
    /// before failing with <see cref="RecoveryInProgressException"/>. Dispose the result when the write is done.
    /// </summary>
    protected ValueTask<IDisposable> EnterWriteAsync() => Replica.EnterWriteAsync();

    /// <summary>
    /// Like <see cref="EnterWriteAsync"/>, and one at a time on this replica: for writes that read the
    /// current version of an item to make the next one, which must not interleave with another such write.
    /// </summary>
    protected async ValueTask<IDisposable> EnterExclusiveWriteAsync()
    {
        var admission = await EnterWriteAsync();
        await _exclusiveWrites.WaitAsync();
        return new ExclusiveWrite(admission, _exclusiveWrites);
    }

    /// <summary>
    /// Applies <paramref name="write"/> on the replica of every other member of the configuration this replica last
    /// activated (<see cref="ApplyWrite"/> runs there), then on this one; call it while holding
    /// <see cref="EnterExclusiveWriteAsync"/>. It returns once every replica applied the write. If every peer refused it
    /// because a round began there, nothing was applied anywhere and the refusal is thrown: <see cref="RecoveryInProgressException"/>,
    /// safe to retry. Otherwise (some peers applied it, or one failed in a way that may have applied it) this replica applies
    /// it too, the peers that refused get it once their round lets them (within <see cref="DeadlineOptions.Round"/>), and
    /// <see cref="WriteOutcomeUnknownException"/> tells the client: the write takes effect on every member unless every
    /// replica that holds it fails first.
    /// </summary>
    protected async Task ReplicateAsync(object write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var epoch = ActivatedEpoch;
        var peers = Members.Where(m => m != Processor).ToArray();
        var applying = peers.Select(peer => PeerReplica(peer).ApplyWrite(write, epoch)).ToArray();
        try
        {
            await WriteReplication.AppliedEverywhereAsync(applying, ServiceName, Processor);
        }
        catch (WriteOutcomeUnknownException)
        {
            ApplyWrite(write);
            _ = WriteReplication.RedeliverAsync(
                peers.Where((_, i) => !applying[i].IsCompletedSuccessfully).Select(peer => (peer, (Func<Task<bool>>)(() => PeerReplica(peer).ApplyWrite(write, epoch)))),
                () => ActivatedEpoch == epoch,
                ServiceProvider.GetRequiredService<IOptions<ResyncOptions>>().Value.Deadlines.Round,
                ServiceProvider.GetRequiredService<TimeProvider>(),
                (peer, exception) => WriteReplication.LogRedeliveryStopped(
                    ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(GetType()), exception, ServiceName, Processor, peer));
            throw;
        }

        ApplyWrite(write);
    }

    /// <summary>
    /// Applies a write made by <see cref="ReplicateAsync"/>, on this replica's own and on every peer's. Apply
    /// only what is newer than what the replica holds: writes from different members may arrive in any order.
    /// </summary>
    protected virtual void ApplyWrite(object write) =>
        throw new NotSupportedException($"{GetType().Name} replicates writes but does not override {nameof(ApplyWrite)}.");

    Task<StepReport> ISyncReplica.Run(RoundStep step) => Replica.RunAsync(step);

    Task ISyncReplica.Activate(long epoch, ImmutableArray<Contribution> received) => Replica.ActivateAsync(epoch, received);

    Task ISyncReplica.Abort(long epoch)
    {
        Replica.Abort(epoch);
        return Task.CompletedTask;
    }

    Task ISyncReplica.Leave(long epoch)
    {
        Replica.Leave(epoch);
        return Task.CompletedTask;
    }

    Task ISyncReplica.Warm() => Task.CompletedTask;

    async Task<bool> ISyncReplica.ApplyWrite(object write, long epoch)
    {
        using var admitted = await Replica.EnterReplicatedWriteAsync();
        if (epoch < ActivatedEpoch)
        {
            return false;
        }

        ApplyWrite(write);
        return true;
    }

    Task ISyncReplica.Crash()
    {
        Replica.Crash();
        _round = null;
        return Task.CompletedTask;
    }

    ValueTask IReplicaCallbacks.InitAsync(RoundChannel round, CancellationToken cancellationToken) =>
        Observer is null ? SyncInitAsync(RoundOf(round), cancellationToken) : ObservedAsync("init", round, () => SyncInitAsync(RoundOf(round), cancellationToken), cancellationToken);

    async ValueTask<ProcessResult> IReplicaCallbacks.ProcessAsync(RoundChannel round, CancellationToken cancellationToken)
    {
        if (Observer is null)
        {
            return await SyncProcessAsync(RoundOf(round), cancellationToken);
        }

        var result = ProcessResult.More;
        await ObservedAsync("process", round, async () => result = await SyncProcessAsync(RoundOf(round), cancellationToken), cancellationToken);
        return result;
    }

    ValueTask IReplicaCallbacks.ActivateAsync(RoundChannel round, CancellationToken cancellationToken) =>
        Observer is null ? SyncActivateAsync(RoundOf(round), cancellationToken) : ObservedAsync("activate", round, () => SyncActivateAsync(RoundOf(round), cancellationToken), cancellationToken);

    ValueTask IReplicaCallbacks.AbortAsync(RoundChannel round) =>
        Observer is null ? SyncAbortAsync(RoundOf(round)) : ObservedAsync("abort", round, () => SyncAbortAsync(RoundOf(round)), CancellationToken.None);

    /// <summary>The silo's replica observer, if it has one (looked up once; <see cref="Unobserved"/> marks "none").</summary>
    private IReplicaObserver? Observer
    {
        get
        {
            _observer ??= ServiceProvider.GetService<IReplicaObserver>() ?? Unobserved.Instance;
            return _observer == Unobserved.Instance ? null : _observer;
        }
    }

    private async ValueTask ObservedAsync(string callback, RoundChannel round, Func<ValueTask> run, CancellationToken cancellationToken)
    {
        if (Rehearsal.IsRehearsal(round.Epoch))
        {
            await run();
            return;
        }

        using var observed = await Observer!.EnterAsync(new ReplicaCallback(ServiceName, Processor, callback, round.Epoch, round.Step.Step), cancellationToken);
        await run();
    }

    private ISyncReplica PeerReplica(string processor) => GrainFactory.Reference<ISyncReplica>(processor, GetType().FullName);

    /// <summary>The author's view of <paramref name="channel"/>: one per round, so that a service may keep it between callbacks.</summary>
    private SyncRound RoundOf(RoundChannel channel) => _round?.Channel == channel ? _round : _round = new SyncRound(channel);

    private sealed class Unobserved : IReplicaObserver
    {
        public static readonly Unobserved Instance = new();

        public ValueTask<IDisposable> EnterAsync(ReplicaCallback callback, CancellationToken cancellationToken) => throw new UnreachableException();
    }

    private sealed class ExclusiveWrite(IDisposable admission, SemaphoreSlim exclusive) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                exclusive.Release();
                admission.Dispose();
            }
        }
    }
}
