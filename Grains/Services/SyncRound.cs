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

    /// <summary>The round's epoch: the number of the configuration it synchronizes.</summary>
    public long Epoch => Channel.Epoch;

    /// <summary>The configuration's members, sorted (ordinal): the processors whose replicas take part in this round.</summary>
    public ImmutableArray<string> Members => Channel.Step.Configuration.Members;

    /// <summary>Members of the previous configuration that are still members.</summary>
    public ImmutableArray<string> Survivors => Channel.Step.Configuration.Survivors;

    /// <summary>This service's position in the synchronization order.</summary>
    public int StepIndex => Channel.Step.Step;

    /// <summary>The name of the service this replica belongs to.</summary>
    public string Service => Channel.Service;

    /// <summary>The processor this replica belongs to.</summary>
    public string Processor => Channel.Processor;

    /// <summary>
    /// Whether this is a silo's rehearsal before it joins (<see cref="Runtime.SiloOptions.Rehearse"/>):
    /// the replica is a throwaway one, dropped afterwards, on an empty state. A service whose callbacks act
    /// outside their replica skips those acts here.
    /// </summary>
    public bool IsRehearsal => Rehearsal.IsRehearsal(Epoch);

    /// <summary>
    /// Sends <paramref name="payload"/> to every member (this replica included); it is delivered at activation.
    /// Payloads must be serializable (<c>[GenerateSerializer]</c>) and never mutated afterwards. Returns how many
    /// bytes it takes on the wire, as the engine measured it to batch deliveries.
    /// </summary>
    public int Send(object payload) => Channel.Send(payload, []);

    /// <summary>Sends <paramref name="payload"/> to the given members only (one stored copy, whatever their number); see <see cref="Send(object)"/>.</summary>
    public int Send(object payload, ImmutableArray<string> recipients) => Channel.Send(payload, recipients);

    /// <summary>
    /// All-to-all exchange inside process: sends <paramref name="payload"/> under <paramref name="phase"/> and
    /// waits until every member has done the same, then returns every member's payload, sorted by sender.
    /// The wait ends when the round is aborted.
    /// </summary>
    public async Task<IReadOnlyList<(string Sender, T Payload)>> GatherAsync<T>(string phase, T payload, CancellationToken cancellationToken)
        where T : notnull =>
        (await Channel.GatherAsync(phase, payload, cancellationToken)).PayloadsBySender<T>();

    /// <summary>
    /// Everything the members sent to this replica (or to all) in this round, sorted by sender and then by the
    /// order in which each sender sent it, each payload as a <typeparamref name="T"/> (use a common base type or
    /// <see cref="object"/> when a service sends more than one kind). Meant for activate, when every member's
    /// process is done.
    /// </summary>
    public Task<IReadOnlyList<(string Sender, T Payload)>> ReceiveAsync<T>() => Task.FromResult(Channel.Received.PayloadsBySender<T>());
}
