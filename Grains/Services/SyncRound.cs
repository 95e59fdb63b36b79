using Resync.Protocol;
using Resync.Replicas;

namespace Resync.Services;

/// <summary>
/// One replica's view of the round it synchronizes in: the configuration, its step, and the channel to the other
/// members. What process sends is delivered before its process answers done (contract item 4); at activation, every
/// member's process is done and <see cref="ReceiveAsync"/> has everything that was sent to this replica.
/// </summary>
public sealed class SyncRound
{
    internal SyncRound(RoundChannel channel) => Channel = channel;

    internal RoundChannel Channel { get; }

    public long Epoch => Channel.Epoch;

    public ImmutableArray<string> Members => Channel.Step.Configuration.Members;

    /// <summary>Members of the previous configuration that are still members.</summary>
    public ImmutableArray<string> Survivors => Channel.Step.Configuration.Survivors;

    /// <summary>This service's position in the synchronization order.</summary>
    public int StepIndex => Channel.Step.Step;

    public string Service => Channel.Service;

    /// <summary>The processor this replica belongs to.</summary>
    public string Processor => Channel.Processor;

    /// <summary>
    /// Whether this is a silo's rehearsal before it joins (<see cref="Runtime.SiloOptions.Rehearse"/>):
    /// the replica is a throwaway one, dropped afterwards, on an empty state. A service whose callbacks act
    /// outside their replica skips those acts here.
    /// </summary>
    public bool IsRehearsal => Rehearsal.IsRehearsal(Epoch);

    /// <summary>Sends <paramref name="payload"/> to every member.</summary>
    public void Send(object payload) => Channel.Send(payload, []);

    /// <summary>Sends <paramref name="payload"/> to the given members only (one stored copy, whatever their number).</summary>
    public void Send(object payload, ImmutableArray<string> recipients) => Channel.Send(payload, recipients);

    /// <summary>
    /// All-to-all exchange inside process: sends <paramref name="payload"/> under <paramref name="phase"/> and
    /// waits until every member has done the same, then returns every member's payload, sorted by sender.
    /// The wait ends when the round is aborted.
    /// </summary>
    public Task<ImmutableArray<Contribution>> GatherAsync(string phase, object payload, CancellationToken cancellationToken) =>
        Channel.GatherAsync(phase, payload, cancellationToken);

    /// <summary>
    /// Everything the members sent to this replica (or to all) in this round, sorted by sender and then by
    /// the order in which each sender sent it. Meant for activate, when every member's process is done.
    /// </summary>
    public Task<ImmutableArray<Contribution>> ReceiveAsync() => Task.FromResult(Channel.Received);
}
