using Resync.Services;

namespace Resync.Reference.Clm;

/// <summary>
/// CLM: each member contributes its own record; activate installs the records of every member sorted by
/// processor, so every member ends with the same view, equal to the configuration. A processor keeps the
/// epoch it joined in for as long as it stays a member (it is among the round's survivors).
/// </summary>
public sealed class ClmGrain(ILocalSiloDetails silo, ClmViews views) : SyncServiceGrain, IClmService
{
    public const string Name = "clm";

    private ClmView _view = ClmView.Empty;

    public Task<ClmView> GetView() => Task.FromResult(_view);

    protected override ValueTask SyncInitAsync(SyncRound round, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    protected override ValueTask<ProcessResult> SyncProcessAsync(SyncRound round, CancellationToken cancellationToken)
    {
        // Both lists are sorted: the searches keep a round's cost at O(log N) per member, not O(N).
        var previous = round.Survivors.BinarySearch(Processor, StringComparer.Ordinal) >= 0 ? _view.Find(Processor) : null;
        round.Send(new ClmMember(Processor, Processor, silo.SiloAddress.ToString(), previous?.JoinedEpoch ?? round.Epoch));
        return ValueTask.FromResult(ProcessResult.Done);
    }

    protected override async ValueTask SyncActivateAsync(SyncRound round, CancellationToken cancellationToken)
    {
        var records = await round.ReceiveAsync();
        _view = views.Get(round.Epoch, records);
    }

    protected override ValueTask SyncAbortAsync(SyncRound round) => ValueTask.CompletedTask;
}
