using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Resync.Bench.Processes;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Network;

/// <summary>
/// Faults that only a network and real processes make (issue 19): a silo partitioned from its peers, cut off from
/// everything, heard by its peers but not hearing them back, frozen for less and for more than the failure
/// detection, on a lossy link and on a slow one, and the coordinator's silo killed mid-round. Each schedule runs
/// under a write load, is healed, and ends in the checker (<see cref="WriteLoad.CheckAsync"/>) once a round with
/// all three silos has completed; the time from the heal to that round goes to the test output.
/// </summary>
[Collection(NetworkCollection.Name)]
public sealed class NetworkFaultTests(NetworkClusterFixture cluster, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan FaultLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(90);
    private WriteLoad _load = null!;

    public async Task InitializeAsync()
    {
        await SettleAsync("before the schedule");
        _load = new WriteLoad(cluster.Driver, output);
        await _load.StartAsync(await SiloProcessor(0));
    }

    public async Task DisposeAsync()
    {
        foreach (var host in cluster.Lab.Hosts)
        {
            NetworkLab.Heal(host);
        }

        foreach (var silo in cluster.Silos.Where(s => !s.HasExited))
        {
            NetworkLab.Run("kill", "-CONT", silo.Id.ToString());
        }

        await _load.DisposeAsync();
    }

    [Fact]
    public Task A_silo_partitioned_from_its_peers_but_not_the_database_is_left_out_then_taken_back() => RunAsync(Fault.PartitionFromPeers, silo: 2);

    [Fact]
    public Task A_silo_cut_off_from_everything_is_left_out_then_taken_back() => RunAsync(Fault.Isolation, silo: 1);

    [Fact]
    public Task A_silo_whose_packets_to_its_peers_are_lost_while_theirs_arrive_does_not_split_the_cluster() => RunAsync(Fault.OneWay, silo: 2);

    [Fact]
    public Task A_silo_that_cannot_send_to_one_peer_while_the_other_still_hears_it_holds_rounds_only_until_the_heal() => RunAsync(Fault.PartialOneWay, silo: 2);

    [Fact]
    public async Task A_silo_frozen_for_less_than_the_failure_detection_goes_on_as_a_member()
    {
        var victim = cluster.Silos[0];
        var before = (await cluster.Driver.Engine.Status()).Configuration.Epoch;
        await RunAsync(Fault.ShortFreeze, silo: 0);
        Assert.False(victim.HasExited, $"the silo frozen for 0.1 s exited:\n{victim.Output}");
        output.WriteLine($"epoch {before} before the freeze, {(await cluster.Driver.Engine.Status()).Configuration.Epoch} after");
    }

    [Fact]
    public Task A_silo_frozen_for_longer_than_the_failure_detection_is_left_out_and_does_not_come_back_as_a_zombie() => RunAsync(Fault.LongFreeze, silo: 1);

    [Fact]
    public Task Rounds_complete_over_a_link_that_loses_a_random_share_of_its_packets() => RunAsync(Fault.Lossy, silo: 2);

    [Fact]
    public Task Rounds_complete_over_a_slow_link_whose_queue_builds() => RunAsync(Fault.Slow, silo: 0);

    [Fact]
    public Task Killing_the_silo_of_the_configuration_grain_and_the_rounds_coordinator_as_a_round_starts_leads_to_a_completed_round() =>
        RunAsync(Fault.KillCoordinator, silo: -1);

    [Fact]
    public Task Killing_the_coordinators_silo_while_a_barrier_waits_for_a_member_leads_to_a_completed_round() =>
        RunAsync(Fault.KillCoordinatorAtBarrier, silo: -1);

    [Fact]
    public Task Killing_the_coordinators_silo_during_a_checkpoint_transfer_leads_to_a_completed_round() =>
        RunAsync(Fault.KillCoordinatorDuringTransfer, silo: -1);

    [Fact]
    public Task Killing_the_coordinators_silo_while_the_last_service_activates_leads_to_a_completed_round() =>
        RunAsync(Fault.KillCoordinatorDuringActivation, silo: -1);

    /// <summary>
    /// A seeded schedule of faults of every kind on random silos, each healed before the next, under one write load
    /// checked at the end. CI runs a short one; RESYNC_SEED and RESYNC_FAULT_STEPS replay or lengthen it.
    /// </summary>
    [Fact]
    public async Task A_seeded_schedule_of_network_faults_keeps_every_acknowledged_write_and_ends_identical()
    {
        var (random, steps) = TestSeed.Schedule(ciSeed: 19, ciSteps: 3, output);
        var kinds = Enum.GetValues<Fault>();
        for (var step = 0; step < steps; step++)
        {
            var fault = kinds[random.Next(kinds.Length)];
            var silo = random.Next(NetworkClusterFixture.SiloCount);
            output.WriteLine($"step {step}: {fault} on silo {silo + 1}");
            await HealAndSettleAsync(fault.ToString(), await InjectAsync(fault, silo, random));
        }

        await _load.CheckAsync($"seeded schedule of {steps} faults");
    }

    /// <summary>The faults a schedule is made of.</summary>
    public enum Fault
    {
        /// <summary>The silo and its peers stop hearing each other, both ways; the database still hears it.</summary>
        PartitionFromPeers,
        /// <summary>The silo hears nobody and nobody hears it, the database and the client included.</summary>
        Isolation,
        /// <summary>What the silo sends its peers is lost; what they send it arrives.</summary>
        OneWay,
        /// <summary>
        /// What the silo sends one peer (the coordinator's, or the next) is lost for ten seconds while a transfer round runs; the
        /// other peer still hears it, so Orleans does not declare it dead (a gray failure). The round's step deadline evicts its
        /// processor, and the silo is taken back <c>Deadlines:EvictedSiloReturn</c> (30 s) later.
        /// </summary>
        PartialOneWay,
        /// <summary>SIGSTOP for 0.1 s: less than the failure detection.</summary>
        ShortFreeze,
        /// <summary>SIGSTOP until the survivors complete a round without the silo, then SIGCONT.</summary>
        LongFreeze,
        /// <summary>A random 5-20% of the silo's packets lost, while membership changes run rounds.</summary>
        Lossy,
        /// <summary>The silo's link limited to 1 mbit/s, while membership changes run rounds.</summary>
        Slow,
        /// <summary>kill -9 of the silo that hosts the configuration grain (so each round's sequencer and barrier) as a join's round starts.</summary>
        KillCoordinator,
        /// <summary>The same kill while a barrier of a transfer round waits for a member (held there by a SIGSTOP of its silo), over slowed links.</summary>
        KillCoordinatorAtBarrier,
        /// <summary>The same kill while CKPT moves a mebibyte to a joiner over slowed links.</summary>
        KillCoordinatorDuringTransfer,
        /// <summary>
        /// The same kill after the last barrier, while the last service activates: what a silo that is done with the transfer
        /// round's CKPT step sends the coordinator's silo is cut, the slowed links are freed so that the transfer ends, and the
        /// coordinator's silo is killed once the round waits for that silo's activation.
        /// </summary>
        KillCoordinatorDuringActivation,
    }

    private async Task RunAsync(Fault fault, int silo)
    {
        var host = await InjectAsync(fault, silo, new Random(19));
        await HealAndSettleAsync(fault.ToString(), host);
        await _load.CheckAsync(fault.ToString());
    }

    /// <summary>Injects <paramref name="fault"/> on <paramref name="silo"/> and lets it act; returns the host to heal.</summary>
    private async Task<LabHost> InjectAsync(Fault fault, int silo, Random random)
    {
        var host = cluster.HostOf(Math.Max(silo, 0));
        var peers = Enumerable.Range(0, NetworkClusterFixture.SiloCount).Where(i => i != silo).Select(cluster.HostOf).ToList();
        if (fault is Fault.PartitionFromPeers or Fault.Isolation or Fault.OneWay or Fault.PartialOneWay or Fault.LongFreeze)
        {
            // The fault lands in a round: a logical processor joins (or leaves) and must receive the checkpoints, a
            // transfer of about a mebibyte, when the fault comes.
            await TransferRoundAsync(random);
        }

        switch (fault)
        {
            case Fault.PartitionFromPeers:
                NetworkLab.Partition(host, peers);
                await WaitForSilos(s => s < 3, "the survivors' round without the partitioned silo");
                break;
            case Fault.Isolation:
                NetworkLab.Isolate(host);
                await WaitForSilos(s => s < 3, "the survivors' round without the isolated silo");
                break;
            case Fault.OneWay:
                NetworkLab.DropOutgoing(host, peers);
                await WaitForSilos(s => s < 3, "a round without a silo that cannot answer");
                break;
            case Fault.PartialOneWay:
                var coordinatorSilo = await CoordinatorSiloAsync();
                var peer = coordinatorSilo != silo ? coordinatorSilo : (silo + 1) % NetworkClusterFixture.SiloCount;
                NetworkLab.DropOutgoing(host, [cluster.HostOf(peer)]);
                output.WriteLine($"silo {silo + 1}'s packets to silo {peer + 1} dropped for {PartialCut.TotalSeconds} s");
                // The fault's length, not a wait for anything: Orleans keeps the silo (its other peer vouches for it).
                await Task.Delay(PartialCut);
                break;
            case Fault.ShortFreeze:
                Freeze(silo);
                // The fault's length, not a wait for anything: well under the probe timeout and the missed probes Orleans counts.
                await Task.Delay(TimeSpan.FromMilliseconds(100));
                Thaw(silo);
                break;
            case Fault.LongFreeze:
                Freeze(silo);
                try
                {
                    await WaitForSilos(s => s < 3, "the survivors' round without the frozen silo");
                }
                finally
                {
                    Thaw(silo);
                }

                break;
            case Fault.Lossy:
                var percent = 5 + random.Next(16);
                output.WriteLine($"{percent}% of silo {silo + 1}'s packets lost");
                NetworkLab.Lossy(host, percent);
                await ChangesDuringFaultAsync(fault.ToString(), 4);
                break;
            case Fault.Slow:
                NetworkLab.Slow(host, "1mbit");
                await ChangesDuringFaultAsync(fault.ToString(), 4);
                break;
            case Fault.KillCoordinatorAtBarrier or Fault.KillCoordinatorDuringTransfer or Fault.KillCoordinatorDuringActivation:
                host = cluster.HostOf(await KillCoordinatorInAsync(fault, random));
                break;
            case Fault.KillCoordinator:
                var coordinator = await CoordinatorSiloAsync();
                host = cluster.HostOf(coordinator);
                output.WriteLine($"the configuration grain (and so each round's sequencer and barrier) is on silo {coordinator + 1} ({host.Address})");
                var change = cluster.Driver.Engine.Join($"net-joiner-{Interlocked.Increment(ref s_transfers)}");
                cluster.Silos[coordinator].Kill();
                try
                {
                    await change;
                }
                catch (Exception exception)
                {
                    output.WriteLine($"the join made as its coordinator died: {exception.GetType().Name}");
                }

                break;
        }

        return host;
    }

    // xUnit makes an instance per test: the count is the class's, so that every schedule's joiner is new.
    private static int s_transfers;

    /// <summary>
    /// Writes a checkpoint of a mebibyte, runs <paramref name="beforeJoin"/>, then makes (and does not wait for the round
    /// of) the join of a new processor, <paramref name="joiner"/> or one named by a counter, which receives it; returns the
    /// join's epoch.
    /// </summary>
    private async Task<long> TransferRoundAsync(Random random, Action? beforeJoin = null, string? joiner = null)
    {
        var through = await SiloProcessor(0);
        var transfer = Interlocked.Increment(ref s_transfers);
        var name = $"bulk{transfer % 2}";
        try
        {
            await cluster.Driver.Ckpt(through).Create(name);
        }
        catch (ArgumentException exception) when (exception.Message.Contains("already exists"))
        {
            // The last schedule made it.
        }

        await cluster.Driver.Ckpt(through).Write(name, "s", Reference.ReferenceDriver.Bytes(1 << 20, random.Next()));
        beforeJoin?.Invoke();
        return (await cluster.Driver.Engine.Join(joiner ?? $"net-transfer-{transfer}")).Configuration.Epoch;
    }

    /// <summary>
    /// Kills the coordinator's silo in the phase <paramref name="fault"/> aims at, in a transfer round held there over slowed
    /// links; a round that ends before it is held is settled and another is tried. Returns the killed silo.
    /// </summary>
    private async Task<int> KillCoordinatorInAsync(Fault fault, Random random)
    {
        var coordinator = await CoordinatorSiloAsync();

        var others = Enumerable.Range(0, NetworkClusterFixture.SiloCount).Where(i => i != coordinator).ToList();

        // The last activation is watched through the coordinator's own gateway: the silo frozen to hold it may be the
        // gateway that the cluster's client uses for the configuration grain.
        var client = fault == Fault.KillCoordinatorDuringActivation ? await cluster.ClientThroughAsync(coordinator) : null;
        var observer = client is null ? null : new ResyncDriver(client.Services.GetRequiredService<IClusterClient>());
        try
        {
            return await KillCoordinatorInAsync(fault, random, coordinator, observer);
        }
        finally
        {
            if (client is not null)
            {
                await StopAsync(client);
            }
        }
    }

    private async Task<int> KillCoordinatorInAsync(Fault fault, Random random, int coordinator, ResyncDriver? observer)
    {
        const int Attempts = 4;
        var others = Enumerable.Range(0, NetworkClusterFixture.SiloCount).Where(i => i != coordinator).ToList();
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            // The joiner is named to be placed on another silo than the sender's (the lowest member: every member holds the
            // checkpoint's newest version), so that the mebibyte crosses a slowed link; the silo frozen at a barrier hosts neither.
            var (sender, senderSilo) = await SenderAsync();
            if (fault == Fault.KillCoordinatorDuringActivation && senderSilo != coordinator)
            {
                // The last activation is held by cutting what the idle silo sends the coordinator's. With the joiner on the
                // coordinator's silo that cut also stalled the transfer (in every attempt of one CI run), so the sender is
                // made a processor on the coordinator's silo instead: the lowest member, once a round of its own gave it
                // the checkpoints.
                var lowest = await JoinerPlacedOnAsync(coordinator, "net-a-sender-");
                await cluster.Driver.Engine.WaitForRound((await cluster.Driver.Engine.Join(lowest)).Configuration.Epoch);
                (sender, senderSilo) = await SenderAsync();
            }

            var joinerSilo = senderSilo == coordinator ? others[0] : coordinator;
            var idle = others.First(i => i != senderSilo && i != joinerSilo);
            var frozen = -1;
            var homes = fault == Fault.KillCoordinatorDuringActivation ? await ProcessorSilosAsync() : null;
            var epoch = await TransferRoundAsync(random, SlowAllLinks, await JoinerPlacedOnAsync(joinerSilo));
            RoundProgress? held = null;
            try
            {
                switch (fault)
                {
                    case Fault.KillCoordinatorAtBarrier:
                        frozen = idle;
                        Freeze(frozen);
                        held = await CatchAsync(epoch, r => r.Phase is RoundPhase.Barrier or RoundPhase.Processing && r.Pending.Any(p => OnSilo(frozen, p)));
                        break;
                    case Fault.KillCoordinatorDuringTransfer:
                        held = await CatchAsync(epoch, r => r.Phase == RoundPhase.Processing && r.Service == CkptName && !r.Pending.IsEmpty && r.PhaseElapsed > TransferUnderway);
                        break;
                    case Fault.KillCoordinatorDuringActivation:
                        bool OnIdle(string processor) => OnSilo(idle, processor) || homes!.GetValueOrDefault(processor, -1) == idle;

                        // The idle silo's members answered done (their requests for the last barrier are in), the transfer runs.
                        if (await CatchAsync(epoch, r => r.Phase == RoundPhase.Processing && r.Service == CkptName && r.PhaseElapsed > TransferWellUnderway &&
                                !r.Pending.IsEmpty && !r.Pending.Any(OnIdle), observer) is { } transfer)
                        {
                            // Cut only what the idle silo sends the coordinator's: it still takes part in the transfer (as a recipient,
                            // or as the owner of a directory entry the sender needs), and the other silo still hears it, so Orleans
                            // keeps it; its answer to the last activation's notice cannot reach the sequencer.
                            NetworkLab.DropOutgoing(cluster.HostOf(idle), [cluster.HostOf(coordinator)]);
                            NetworkLab.Heal(cluster.HostOf(senderSilo));
                            NetworkLab.Heal(cluster.HostOf(joinerSilo));
                            held = await CatchAsync(epoch, r => r.Phase == RoundPhase.Activating && r.Pending.Any(OnIdle), observer, HeldAtMost);
                            output.WriteLine($"{fault}, attempt {attempt}: the transfer ran ({transfer.PhaseElapsed.TotalMilliseconds:F0} ms, waiting for " +
                                $"[{string.Join(" ", transfer.Pending)}]); what silo {idle + 1} sends the coordinator's cut, the transfer's links freed" +
                                (held is null ? $"; no activation waited for it within {HeldAtMost.TotalMilliseconds} ms (last seen {_lastSeen})" : ""));
                        }

                        break;
                }

                if (held is not null)
                {
                    cluster.Silos[coordinator].Kill();
                    output.WriteLine($"{fault}, attempt {attempt}: silo {coordinator + 1} (the coordinator's) killed while the round of epoch {held.Epoch} was " +
                        $"{held.Phase} at step {held.Step} ({held.Service}), waiting for [{string.Join(" ", held.Pending)}]" +
                        (frozen >= 0 ? $"; silo {frozen + 1} frozen to hold it there" : fault == Fault.KillCoordinatorDuringActivation ? $"; silo {idle + 1}'s answers to it cut to hold it there" : ""));
                }
            }
            finally
            {
                if (frozen >= 0)
                {
                    Thaw(frozen);
                }

                foreach (var silo in others)
                {
                    NetworkLab.Heal(cluster.HostOf(silo));
                }
            }

            if (held is not null)
            {
                return coordinator;
            }

            output.WriteLine($"{fault}, attempt {attempt}: the round of epoch {epoch} was not held there (sender {sender} on silo {senderSilo + 1}, joiner on silo {joinerSilo + 1}, coordinator silo {coordinator + 1}; last seen {_lastSeen}); another join");
            NetworkLab.Heal(cluster.HostOf(coordinator));
            await SettleAsync($"{fault}: after attempt {attempt}");
        }

        Assert.Fail($"{fault}: in {Attempts} transfer rounds, none was held in the phase aimed at");
        return coordinator;
    }

    /// <summary>Stops a client, bounded: its only gateway may be a silo just killed.</summary>
    private static async Task StopAsync(IHost client)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await client.StopAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            // Stopped as far as it could.
        }

        client.Dispose();
    }

    /// <summary>Every silo's link limited to 8 mbit/s: a mebibyte between silos takes a second.</summary>
    private void SlowAllLinks()
    {
        foreach (var silo in Enumerable.Range(0, NetworkClusterFixture.SiloCount))
        {
            NetworkLab.Slow(cluster.HostOf(silo), "8mbit");
        }
    }

    /// <summary>The member that sends a transfer's checkpoints (the lowest: every member holds the newest version), and its silo.</summary>
    private async Task<(string Sender, int Silo)> SenderAsync()
    {
        var sender = (await cluster.Driver.Engine.Configuration.GetConfiguration()).Members[0];
        return (sender, ProcessorId.IsSilo(sender) ? Enumerable.Range(0, NetworkClusterFixture.SiloCount).Single(i => OnSilo(i, sender)) : (await ProcessorSilosAsync())[sender]);
    }

    /// <summary>
    /// A new processor's name, beginning with <paramref name="prefix"/>, that placement (<c>ProcessorPlacementDirector.LogicalHome</c>)
    /// puts on <paramref name="silo"/> among the active silos.
    /// </summary>
    private async Task<string> JoinerPlacedOnAsync(int silo, string prefix = "net-transfer-")
    {
        var silos = (await cluster.Connection.Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Keys.ToList();
        Assert.True(silos.Any(s => SiloIndexOf(s) == silo), $"silo {silo + 1} ({cluster.HostOf(silo).Address}) is not among the active silos [{string.Join(" ", silos)}]");
        for (var tries = 0; tries < 1000; tries++)
        {
            var name = $"{prefix}{Interlocked.Increment(ref s_transfers)}";
            if (SiloIndexOf(Resync.Placement.ProcessorPlacementDirector.LogicalHome(name, silos)) == silo)
            {
                return name;
            }
        }

        throw new InvalidOperationException($"no processor name placed on silo {silo + 1} in 1000 tries");
    }

    private const string CkptName = Resync.Reference.Ckpt.CkptGrain.Name;

    private static readonly TimeSpan PartialCut = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan SlowSettle = TimeSpan.FromSeconds(10);

    private string _lastSeen = "";

    // The cut that holds the last activation comes once the transfer's chunks flow: while a silo cannot answer a peer, the
    // peer cannot activate a grain whose directory entry the silo keeps (the joiner's inbox, early in the transfer).
    private static readonly TimeSpan TransferWellUnderway = TimeSpan.FromMilliseconds(400);

    // How long the cut may take to hold the last activation: the transfer's last chunks and the last barrier, at full speed.
    private static readonly TimeSpan HeldAtMost = TimeSpan.FromSeconds(1);

    // A CKPT step this old over the slowed links is moving the mebibyte between silos (without a transfer it takes a few milliseconds).
    private static readonly TimeSpan TransferUnderway = TimeSpan.FromMilliseconds(100);

    private bool OnSilo(int silo, string processor) => processor.StartsWith(cluster.Silos[silo].ProcessorPrefix, StringComparison.Ordinal);

    private void Freeze(int silo) => NetworkLab.Run("kill", "-STOP", cluster.Silos[silo].Id.ToString());

    private void Thaw(int silo) => NetworkLab.Run("kill", "-CONT", cluster.Silos[silo].Id.ToString());

    /// <summary>
    /// Polls the round of <paramref name="epoch"/> (through <paramref name="through"/>, or the cluster's client) until
    /// <paramref name="aim"/> accepts it (returned), or until it ended or was superseded first (null). Bounded: past
    /// <paramref name="within"/> it returns null, and past the fault limit, without <paramref name="within"/>, it fails.
    /// </summary>
    private async Task<RoundProgress?> CatchAsync(long epoch, Func<RoundProgress, bool> aim, ResyncDriver? through = null, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? FaultLimit);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var status = await (through ?? cluster.Driver.Engine).Status();
                _lastSeen = status.Round is { } seen
                    ? $"epoch {seen.Epoch} {seen.Phase} step {seen.Step} ({seen.Service}) {seen.PhaseElapsed.TotalMilliseconds:F0} ms, waiting for [{string.Join(" ", seen.Pending)}]"
                    : "no round";
                if (status.Round is { } round && round.Epoch == epoch && round.InFlight && aim(round))
                {
                    return round;
                }

                if (status.Configuration.Epoch > epoch || status.Round is { InFlight: false } ended && ended.Epoch >= epoch)
                {
                    return null;
                }
            }
            catch (Exception exception) when (exception is not Xunit.Sdk.XunitException)
            {
                // Under a fault the client's gateway or the configuration grain's silo may be the one cut off.
                _lastSeen = $"no status ({exception.GetType().Name})";
            }

            await Task.Delay(5);
        }

        Assert.True(within is not null, $"the round of epoch {epoch}: neither in the phase aimed at nor ended within {FaultLimit.TotalSeconds} s; last seen {_lastSeen}");
        return null;
    }

    /// <summary>Membership changes made while a fault lasts, each waited for, bounded: rounds under the fault.</summary>
    private async Task ChangesDuringFaultAsync(string fault, int changes)
    {
        for (var i = 0; i < changes; i++)
        {
            var change = i % 2 == 0 ? cluster.Driver.Engine.Join("net-extra") : cluster.Driver.Engine.Leave("net-extra");
            var configuration = (await ResyncDriver.Retrying(() => change)).Configuration;
            var summary = await ResyncDriver.Retrying(() => cluster.Driver.Engine.WaitForRound(configuration.Epoch));
            output.WriteLine($"{fault}: epoch {configuration.Epoch} completed in {summary.Duration.TotalMilliseconds:F1} ms");
        }
    }

    /// <summary>
    /// Lifts every fault of <paramref name="host"/>, starts again any silo that exited (killed, or dead by Orleans'
    /// verdict: a silo that Orleans declared dead and that still ran would never be a member again, and this would
    /// time out), and waits for a completed round with all three silos.
    /// </summary>
    private async Task HealAndSettleAsync(string schedule, LabHost host)
    {
        NetworkLab.Heal(host);
        var healed = System.Diagnostics.Stopwatch.StartNew();
        var restarted = await SettleAsync($"{schedule}: after the heal");
        output.WriteLine($"{schedule}: healed; a round with all three silos completed {healed.Elapsed.TotalMilliseconds:F0} ms later" +
            (restarted.Count > 0 ? $" (silo {string.Join(", ", restarted.Select(r => r + 1))} exited and was started again)" : ""));
        if (healed.Elapsed > SlowSettle)
        {
            output.WriteLine($"what the silos wrote, the settle having taken over {SlowSettle.TotalSeconds} s:\n" + string.Join("\n", cluster.Silos.Select((s, n) => $"silo {n + 1}:\n{s.Output}")));
        }
    }

    /// <summary>Waits, bounded, for a completed round of exactly the three silos' processors, starting again any that exited.</summary>
    private async Task<List<int>> SettleAsync(string phase)
    {
        var restarted = new List<int>();
        await WaitForAsync(
            status => SiloProcess.Settled(status, cluster.Silos),
            $"{phase}: no completed round of the three silos",
            SettleLimit,
            () => restarted.AddRange(cluster.RestartExited()));
        return restarted;
    }

    /// <summary>Waits, bounded, for a completed round of the configuration whose silo processors <paramref name="count"/> accepts.</summary>
    private Task WaitForSilos(Func<int, bool> count, string phase) =>
        WaitForAsync(
            status => count(status.Configuration.Members.Count(ProcessorId.IsSilo)) && status.Round is { Phase: RoundPhase.Completed } round && round.Epoch == status.Configuration.Epoch,
            phase,
            FaultLimit,
            () => { });

    /// <summary>
    /// Polls the status until <paramref name="done"/> accepts it, for at most <paramref name="limit"/>, running
    /// <paramref name="beforePoll"/> first each time. A call that fails is polled again: under a fault, the client's
    /// gateway or the configuration grain's silo may be the one cut off. The failure names the last status and error,
    /// and what the silos wrote.
    /// </summary>
    private async Task WaitForAsync(Func<ResyncStatus, bool> done, string phase, TimeSpan limit, Action beforePoll, TimeSpan? pause = null)
    {
        var deadline = DateTime.UtcNow + limit;
        ResyncStatus? last = null;
        Exception? failure = null;
        while (DateTime.UtcNow < deadline)
        {
            beforePoll();
            try
            {
                last = await cluster.Driver.Engine.Status();
                if (done(last))
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is not Xunit.Sdk.XunitException)
            {
                failure = exception;
            }

            await Task.Delay(pause ?? TimeSpan.FromMilliseconds(100));
        }

        Assert.Fail($"{phase}: not within {limit.TotalSeconds} s; last status: epoch {last?.Configuration.Epoch}, members [{string.Join(" ", last?.Configuration.Members ?? [])}], " +
            $"round {last?.Round?.Epoch} {last?.Round?.Phase} at {last?.Round?.Service}, waiting for [{string.Join(" ", last?.Round?.Pending ?? [])}]; last failure: {failure?.GetType().Name} {failure?.Message}\n" +
            string.Join("\n", cluster.ExitedOutputs) + "\n" + string.Join("\n", cluster.Silos.Select((s, n) => $"silo {n + 1}:\n{s.Output}")));
    }

    private async Task<string> SiloProcessor(int silo)
    {
        var configuration = await cluster.Driver.Engine.Configuration.GetConfiguration();
        return configuration.Members.Single(m => m.StartsWith(cluster.Silos[silo].ProcessorPrefix, StringComparison.Ordinal));
    }

    /// <summary>Which silo hosts each logical processor's grain (a silo processor's is its own silo).</summary>
    private async Task<Dictionary<string, int>> ProcessorSilosAsync()
    {
        var members = (await cluster.Driver.Engine.Configuration.GetConfiguration()).Members.Where(m => !ProcessorId.IsSilo(m)).ToList();
        var statistics = await cluster.Connection.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return members
            .Select(m => (Member: m, Stat: statistics.FirstOrDefault(s => s.GrainId == cluster.Connection.Client.GetGrain<IProcessorGrain>(m).GetGrainId())))
            .Where(m => m.Stat is not null)
            .ToDictionary(m => m.Member, m => SiloIndexOf(m.Stat!.SiloAddress));
    }

    /// <summary>Which silo hosts the configuration grain, where each round's sequencer and barrier are placed too.</summary>
    private async Task<int> CoordinatorSiloAsync()
    {
        var configurationGrain = cluster.Connection.Client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
        await configurationGrain.GetConfiguration();
        var statistics = await cluster.Connection.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return SiloIndexOf(statistics.Single(s => s.GrainId == configurationGrain.GetGrainId()).SiloAddress);
    }

    /// <summary>The index of the lab's silo at <paramref name="address"/>.</summary>
    private int SiloIndexOf(SiloAddress address) =>
        Enumerable.Range(0, NetworkClusterFixture.SiloCount).Single(i => cluster.HostOf(i).Address == address.Endpoint.Address.ToString());
}
