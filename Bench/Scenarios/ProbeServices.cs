using Resync.Hosting;
using Resync.Services;

namespace Resync.Bench.Scenarios;

/// <summary>What a probe replica sends in its round: its processor's name.</summary>
[GenerateSerializer, Immutable, Alias("resync.bench.probe-record")]
public sealed record ProbeRecord([property: Id(0)] string Processor);

[Alias("resync.bench.IProbeService")]
public interface IProbeService : IGrainWithStringKey
{
    /// <summary>How many members' records the replica installed at its last activation.</summary>
    [Alias("GetActivatedRecords")] Task<int> GetActivatedRecords();
}

/// <summary>
/// The benchmark's service, the conformance service reduced to its traffic: one process call that sends
/// this replica's record, and an activation that installs every member's record.
/// </summary>
public abstract class ProbeService : SyncServiceGrain, IProbeService
{
    private int _activatedRecords;

    public Task<int> GetActivatedRecords() => Task.FromResult(_activatedRecords);

    protected override ValueTask SyncInitAsync(SyncRound round, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    protected override ValueTask<ProcessResult> SyncProcessAsync(SyncRound round, CancellationToken cancellationToken)
    {
        round.Send(new ProbeRecord(round.Processor));
        return ValueTask.FromResult(ProcessResult.Done);
    }

    protected override async ValueTask SyncActivateAsync(SyncRound round, CancellationToken cancellationToken) =>
        _activatedRecords = (await round.ReceiveAsync<ProbeRecord>()).Count;

    protected override ValueTask SyncAbortAsync(SyncRound round) => ValueTask.CompletedTask;

    /// <summary>The replica of probe service <paramref name="index"/> on <paramref name="processor"/>.</summary>
    public static IProbeService Replica(IGrainFactory grains, int index, string processor) =>
        grains.GetGrain<IProbeService>(processor, Classes[index].FullName);

    private static readonly Type[] Classes =
        [typeof(Probe0), typeof(Probe1), typeof(Probe2), typeof(Probe3), typeof(Probe4), typeof(Probe5), typeof(Probe6), typeof(Probe7), typeof(Probe8), typeof(Probe9)];

    /// <summary>Registers <paramref name="count"/> probe services, "probe-0" to "probe-{count-1}" (at most 10).</summary>
    public static ISiloBuilder Register(ISiloBuilder silo, int count)
    {
        if (count is < 1 or > 10)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "1 to 10 probe services");
        }

        Action<ISiloBuilder>[] all =
        [
            s => s.AddSyncService<Probe0>("probe-0"), s => s.AddSyncService<Probe1>("probe-1"),
            s => s.AddSyncService<Probe2>("probe-2"), s => s.AddSyncService<Probe3>("probe-3"),
            s => s.AddSyncService<Probe4>("probe-4"), s => s.AddSyncService<Probe5>("probe-5"),
            s => s.AddSyncService<Probe6>("probe-6"), s => s.AddSyncService<Probe7>("probe-7"),
            s => s.AddSyncService<Probe8>("probe-8"), s => s.AddSyncService<Probe9>("probe-9"),
        ];
        foreach (var add in all.Take(count))
        {
            add(silo);
        }

        return silo;
    }
}

// One grain class per registered service: a service is its class.
public sealed class Probe0 : ProbeService;
public sealed class Probe1 : ProbeService;
public sealed class Probe2 : ProbeService;
public sealed class Probe3 : ProbeService;
public sealed class Probe4 : ProbeService;
public sealed class Probe5 : ProbeService;
public sealed class Probe6 : ProbeService;
public sealed class Probe7 : ProbeService;
public sealed class Probe8 : ProbeService;
public sealed class Probe9 : ProbeService;
