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
    private static readonly TimeSpan FaultLimit = TimeSpan.FromSeconds(30);
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
    public async Task A_silo_partitioned_from_its_peers_but_not_the_database_is_left_out_then_taken_back()
    {
        var victim = cluster.HostOf(2);
        cluster.Lab.Partition(victim, [cluster.HostOf(0), cluster.HostOf(1)]);
        await WaitForSilos(s => s < 3, "the survivors' round without the partitioned silo");
        await HealAndCheckAsync("partition from peers", victim);
    }

    [Fact]
    public async Task A_silo_cut_off_from_everything_is_left_out_then_taken_back()
    {
        var victim = cluster.HostOf(1);
        NetworkLab.Isolate(victim);
        await WaitForSilos(s => s < 3, "the survivors' round without the isolated silo");
        await HealAndCheckAsync("isolation", victim);
    }

    [Fact]
    public async Task A_silo_whose_packets_to_its_peers_are_lost_while_theirs_arrive_does_not_split_the_cluster()
    {
        var victim = cluster.HostOf(2);
        NetworkLab.DropOutgoing(victim, [cluster.HostOf(0), cluster.HostOf(1)]);
        await WaitForSilos(s => s < 3, "a round without the silo that cannot answer");
        await HealAndCheckAsync("one-way partition", victim);
    }

    [Fact]
    public async Task A_silo_frozen_for_less_than_the_failure_detection_goes_on_as_a_member()
    {
        var victim = cluster.Silos[0];
        var before = await cluster.Driver.Engine.Status();
        NetworkLab.Run("kill", "-STOP", victim.Id.ToString());
        // Frozen for a fifth of a second: under the probe timeout and the missed probes Orleans counts before it suspects.
        await Task.Delay(TimeSpan.FromMilliseconds(200));
        NetworkLab.Run("kill", "-CONT", victim.Id.ToString());
        await HealAndCheckAsync("a short freeze", cluster.HostOf(0));
        Assert.False(victim.HasExited, $"the silo frozen for 0.2 s exited:\n{victim.Output}");
        output.WriteLine($"epoch {before.Configuration.Epoch} before the freeze, {(await cluster.Driver.Engine.Status()).Configuration.Epoch} after");
    }

    [Fact]
    public async Task A_silo_frozen_for_longer_than_the_failure_detection_is_left_out_and_does_not_come_back_as_a_zombie()
    {
        var victim = cluster.Silos[1];
        NetworkLab.Run("kill", "-STOP", victim.Id.ToString());
        try
        {
            await WaitForSilos(s => s < 3, "the survivors' round without the frozen silo");
        }
        finally
        {
            NetworkLab.Run("kill", "-CONT", victim.Id.ToString());
        }

        await HealAndCheckAsync("a long freeze", cluster.HostOf(1));
    }

    [Fact]
    public async Task Rounds_complete_over_a_link_that_loses_a_random_share_of_its_packets()
    {
        var victim = cluster.HostOf(2);
        NetworkLab.Lossy(victim, 15);
        await ChangesDuringFaultAsync("lossy link", 4);
        await HealAndCheckAsync("a lossy link (15%)", victim);
    }

    [Fact]
    public async Task Rounds_complete_over_a_slow_link_whose_queue_builds()
    {
        var victim = cluster.HostOf(0);
        NetworkLab.Slow(victim, "1mbit");
        await ChangesDuringFaultAsync("slow link", 4);
        await HealAndCheckAsync("a slow link (1 mbit/s)", victim);
    }

    [Fact]
    public async Task Killing_the_silo_of_the_configuration_grain_and_the_rounds_coordinator_mid_round_leads_to_a_completed_round()
    {
        var coordinator = await CoordinatorSiloAsync();
        output.WriteLine($"the configuration grain (and so each round's sequencer and barrier) is on silo {coordinator + 1} ({cluster.HostOf(coordinator).Address})");
        var change = cluster.Driver.Engine.Join("net-joiner");
        cluster.Silos[coordinator].Kill();
        try
        {
            await change;
        }
        catch (Exception exception)
        {
            output.WriteLine($"the join made as its coordinator died: {exception.GetType().Name}");
        }

        await HealAndCheckAsync("kill -9 of the coordinator's silo", cluster.HostOf(coordinator));
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
    /// verdict), waits for a completed round with all three silos, and runs the checker.
    /// </summary>
    private async Task HealAndCheckAsync(string schedule, LabHost host)
    {
        NetworkLab.Heal(host);
        var healed = System.Diagnostics.Stopwatch.StartNew();
        var restarted = await SettleAsync($"{schedule}: after the heal");
        output.WriteLine($"{schedule}: healed; a round with all three silos completed {healed.Elapsed.TotalMilliseconds:F0} ms later" +
            (restarted.Count > 0 ? $" (silo {string.Join(", ", restarted.Select(r => r + 1))} exited and was started again)" : ""));
        await _load.CheckAsync(schedule);
    }

    /// <summary>Waits, bounded, for a completed round of exactly the three silos' processors, starting again any that exited.</summary>
    private async Task<List<int>> SettleAsync(string phase)
    {
        var restarted = new List<int>();
        var deadline = DateTime.UtcNow + SettleLimit;
        ResyncStatus? last = null;
        while (DateTime.UtcNow < deadline)
        {
            restarted.AddRange(cluster.RestartExited());
            try
            {
                last = await cluster.Driver.Engine.Status();
                if (SiloProcess.Settled(last, cluster.Silos))
                {
                    return restarted;
                }
            }
            catch (Exception exception) when (exception is not Xunit.Sdk.XunitException)
            {
                // A gateway or the configuration grain's silo went with the fault; the client finds another.
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{phase}: no completed round of the three silos within {SettleLimit.TotalSeconds} s; last status: epoch {last?.Configuration.Epoch}, " +
            $"members [{string.Join(" ", last?.Configuration.Members ?? [])}], round {last?.Round?.Epoch} {last?.Round?.Phase}\n" +
            string.Join("\n", cluster.ExitedOutputs) + "\n" + string.Join("\n", cluster.Silos.Select((s, i) => $"silo {i + 1}:\n{s.Output}")));
        return restarted;
    }

    private async Task WaitForSilos(Func<int, bool> count, string phase)
    {
        var deadline = DateTime.UtcNow + FaultLimit;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var status = await cluster.Driver.Engine.Status();
                if (count(status.Configuration.Members.Count(ProcessorId.IsSilo)) && status.Round is { Phase: RoundPhase.Completed } round && round.Epoch == status.Configuration.Epoch)
                {
                    return;
                }
            }
            catch (Exception exception) when (exception is not Xunit.Sdk.XunitException)
            {
                // As above.
            }

            await Task.Delay(100);
        }

        Assert.Fail($"{phase}: not within {FaultLimit.TotalSeconds} s");
    }

    private async Task<string> SiloProcessor(int silo)
    {
        var configuration = await cluster.Driver.Engine.Configuration.GetConfiguration();
        return configuration.Members.Single(m => m.StartsWith(cluster.Silos[silo].ProcessorPrefix, StringComparison.Ordinal));
    }

    /// <summary>Which silo hosts the configuration grain, where each round's sequencer and barrier are placed too.</summary>
    private async Task<int> CoordinatorSiloAsync()
    {
        var configurationGrain = cluster.Connection.Client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
        await configurationGrain.GetConfiguration();
        var statistics = await cluster.Connection.Client.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        var silo = statistics.Single(s => s.GrainId == configurationGrain.GetGrainId()).SiloAddress;
        return Enumerable.Range(0, NetworkClusterFixture.SiloCount).Single(i => cluster.HostOf(i).Address == silo.Endpoint.Address.ToString());
    }
}
