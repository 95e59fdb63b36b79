using Resync.Services;

namespace Resync.Reference.Clm;

/// <summary>
/// CLM: each member contributes its own record; activation installs the records of every member sorted by
/// processor, so every member ends with the same view, equal to the configuration. A processor keeps the
/// epoch it joined in for as long as it stays a member (it is among the round's survivors).
/// </summary>
public sealed class ClmGrain(ILocalSiloDetails silo, ClmViews views) : FullStateSyncService<ClmMember>, IClmService
{
    /// <summary>The name CLM is registered under.</summary>
    public const string Name = "clm";

    private ClmView _view = ClmView.Empty;

    /// <inheritdoc />
    public Task<ClmView> GetView() => Task.FromResult(_view);

    /// <inheritdoc />
    protected override IEnumerable<ClmMember> Contribute(SyncRound round)
    {
        // Both lists are sorted: the searches keep a round's cost at O(log N) per member, not O(N).
        var previous = round.Survivors.BinarySearch(Processor, StringComparer.Ordinal) >= 0 ? _view.Find(Processor) : null;
        yield return new ClmMember(Processor, Processor, silo.SiloAddress.ToString(), previous?.JoinedEpoch ?? round.Epoch);
    }

    /// <inheritdoc />
    protected override ValueTask MergeAsync(SyncRound round, IReadOnlyList<(string Sender, ClmMember Part)> parts, CancellationToken cancellationToken)
    {
        // The members' records, sorted by sender, are the view. The replicas of one silo share the delivery and build it once.
        _view = views.Get(round.Epoch, round.Channel.Received);
        return ValueTask.CompletedTask;
    }
}
