using Microsoft.Extensions.Hosting;
using Resync.Runtime;

namespace Resync.Membership;

/// <summary>
/// A silo's part in the configuration, in the silo's lifecycle (it starts once the silo is active) and in the
/// host's (a stopping host tells it first, while the silo still serves): the silo proposes membership changes
/// (<see cref="MembershipProposals"/>) from its start until it stops, arrives (<see cref="SiloArrival"/>) meanwhile,
/// and then departs (<see cref="SiloDeparture"/>).
/// </summary>
internal sealed class SiloMembershipParticipant(
    SiloArrival arrival,
    MembershipProposals proposals,
    SiloDeparture departure,
    SiloShutdown shutdown,
    IOptions<ResyncOptions> options,
    TimeProvider time) : ILifecycleParticipant<ISiloLifecycle>, IHostedLifecycleService
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _participating = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SiloMembershipParticipant), ServiceLifecycleStage.Active, Start, Stop);

    private Task Start(CancellationToken cancellationToken)
    {
        // Proposals from the start, beside the arrival: the silo's first proposal (and the code it runs for the first
        // time) is done long before it says it is ready, instead of competing with the round that takes it in.
        _participating = Task.WhenAll(
            Task.Run(() => proposals.ProposeUntilAsync(_stopping.Token)),
            Task.Run(() => arrival.ArriveAsync(_stopping.Token)));
        return Task.CompletedTask;
    }

    /// <summary>
    /// The host begins to stop, before any part of the silo does: the silo departs here and waits for the round
    /// that settles its departure, which then neither competes with the shutdown for the machine nor loses a
    /// sequencer or barrier that this silo hosts.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        shutdown.HostStopping();
        await StopParticipatingAsync(cancellationToken);
        await departure.DepartAsync(awaitRound: true, cancellationToken);
    }

    private async Task Stop(CancellationToken cancellationToken)
    {
        await StopParticipatingAsync(cancellationToken);
        // A silo stopped without its host's StoppingAsync departs here, without waiting: it is shutting down already.
        await departure.DepartAsync(awaitRound: false, cancellationToken);
    }

    /// <summary>Ends the arrival and the proposals (bounded): no "ready" may land after "stopping".</summary>
    private async Task StopParticipatingAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _participating.WaitAsync(options.Value.Notices.Timeout, time, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
