using Resync.Services;

namespace Resync.Tests.Conformance;

/// <summary>The state a conformance replica serves: the members of the last round it activated, as they told it.</summary>
[GenerateSerializer, Immutable, Alias("tests.conformance-state")]
public sealed record ConformanceState([property: Id(0)] long Epoch, [property: Id(1)] ImmutableArray<string> Members);

[GenerateSerializer, Immutable, Alias("tests.conformance-record")]
public sealed record ConformanceRecord([property: Id(0)] string Processor, [property: Id(1)] long Epoch);

[Alias("tests.IConformanceService")]
public interface IConformanceService : IGrainWithStringKey
{
    [Alias("GetState")] Task<ConformanceState> GetState();

    /// <summary>A client write: it passes the replica's write gate (contract item 8) and returns the epoch it was admitted at.</summary>
    [Alias("Write")] Task<long> Write();
}

/// <summary>
/// The conformance test service, modelled on corosync's test agent: process answers "more" a configurable
/// number of times, then sends this replica's record and answers done; activate installs the records of
/// every member, sorted; every callback is journaled with epoch, step and processor; it can be held at
/// any callback, slowed down, or told to throw.
/// </summary>
public abstract class ConformanceService : SyncServiceGrain, IConformanceService
{
    private ConformanceState _active = new(0, []);
    private int _processCalls;
    private int _inCallback;
    private string? _running;

    public Task<ConformanceState> GetState() => Task.FromResult(_active);

    public async Task<long> Write()
    {
        using var admission = await EnterWriteAsync();
        await ConformanceControl.PassAsync("write", ServiceName, Processor, CancellationToken.None);
        return ActivatedEpoch;
    }

    protected override async ValueTask SyncInitAsync(SyncRound round, CancellationToken cancellationToken)
    {
        await ObserveAsync("init", round, cancellationToken);
        _processCalls = 0;
    }

    protected override async ValueTask<ProcessResult> SyncProcessAsync(SyncRound round, CancellationToken cancellationToken)
    {
        await ObserveAsync("process", round, cancellationToken);
        var behaviour = ConformanceControl.Behaviour;
        if (behaviour.ProcessDelay > TimeSpan.Zero)
        {
            await Task.Delay(behaviour.ProcessDelay, cancellationToken);
        }

        if (_processCalls++ < behaviour.MoreCount)
        {
            return ProcessResult.More;
        }

        round.Send(new ConformanceRecord(round.Processor, round.Epoch));
        return ProcessResult.Done;
    }

    protected override async ValueTask SyncActivateAsync(SyncRound round, CancellationToken cancellationToken)
    {
        await ObserveAsync("activate", round, cancellationToken);
        var received = await round.ReceiveAsync<ConformanceRecord>();
        _active = new ConformanceState(round.Epoch, [.. received.Select(r => r.Payload.Processor)]);
    }

    protected override async ValueTask SyncAbortAsync(SyncRound round) =>
        await ObserveAsync("abort", round, CancellationToken.None);

    private async Task ObserveAsync(string callback, SyncRound round, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _inCallback) > 1)
        {
            ConformanceJournal.RecordOverlap($"{callback} of epoch {round.Epoch} on {ServiceName}@{Processor} began while its {_running} was running");
        }

        _running = $"{callback} of epoch {round.Epoch}";
        try
        {
            await ObserveInTurnAsync(callback, round, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _inCallback);
        }
    }

    private async Task ObserveInTurnAsync(string callback, SyncRound round, CancellationToken cancellationToken)
    {
        ConformanceJournal.Record(ServiceName, Processor, callback, round.Epoch, round.StepIndex);
        var behaviour = ConformanceControl.Behaviour;
        if (behaviour.ThrowIn == callback && (behaviour.ThrowService is null || behaviour.ThrowService == ServiceName))
        {
            throw new InvalidOperationException($"conformance service told to throw in {callback}");
        }

        try
        {
            await ConformanceControl.PassAsync(callback, ServiceName, Processor, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Released by the round's abort: the engine discards whatever this callback would have done.
        }
    }
}

public sealed class ConformanceA : ConformanceService;

public sealed class ConformanceB : ConformanceService;

public sealed class ConformanceC : ConformanceService;
