using Orleans.Hosting;
using Orleans.TestingHost;
using Resync.Hosting;
using Resync.Placement;
using Resync.Protocol;
using Resync.Testing;
using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Cluster;

/// <summary>A silo rehearses a round of every service before its processor joins, so that its first round runs warm (issue 7).</summary>
public sealed class RehearsalTests(ITestOutputHelper output)
{
    private const string RehearsalTimeoutProperty = "RehearsalTimeout";

    public sealed class RehearsingSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder) =>
            siloBuilder
                .AddResyncMemoryStorage()
                .AddResync(options =>
                {
                    options.Silos.Processors = true;
                    options.Silos.Rehearse = true;
                    if (siloBuilder.Configuration[RehearsalTimeoutProperty] is { } timeout)
                    {
                        options.Silos.RehearsalTimeout = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture);
                    }
                })
                .AddSyncService<ConformanceA>("conf-a")
                .AddSyncService<ConformanceB>("conf-b")
                .AddSyncService<ConformanceC>("conf-c");
    }

    /// <summary>Runs <paramref name="test"/> on a fresh cluster of <paramref name="silos"/> silo processors, stopped afterwards whatever happens.</summary>
    private static Task OnClusterAsync(short silos, TimeSpan? rehearsalTimeout, Func<TestCluster, Task> test) =>
        FreshCluster.RunAsync<RehearsingSilo>(silos, test, builder =>
        {
            if (rehearsalTimeout is { } timeout)
            {
                builder.Properties[RehearsalTimeoutProperty] = timeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
            }
        });

    private static Task<ResyncStatus> Settled(ResyncDriver driver, TestCluster cluster, string phase)
    {
        string[] expected = [.. cluster.Silos.Select(s => ProcessorPlacement.SiloProcessor(s.SiloAddress)).Order(StringComparer.Ordinal)];
        return driver.WaitForStatus(
            s => s.Configuration.Members.SequenceEqual(expected) && s.Round is { Phase: RoundPhase.Completed } r && r.Epoch == s.Configuration.Epoch,
            $"{phase}: expected exactly the silo processors {string.Join(" ", expected)}, their round completed");
    }

    [Fact]
    public async Task Every_silo_rehearses_every_service_on_its_own_rehearsal_processor_before_its_processor_joins_and_the_rehearsal_is_no_round_of_the_deployment()
    {
        var mark = ConformanceJournal.Mark();
        using var roundsStarted = new CounterTotal("resync.rounds.started");

        await OnClusterAsync(2, null, async cluster =>
        {
            var driver = new ResyncDriver(cluster.Client);
            var settled = await Settled(driver, cluster, "two silos");
            var added = await cluster.StartAdditionalSiloAsync();
            settled = await Settled(driver, cluster, "a third silo joined");

            var entries = ConformanceJournal.Since(mark);
            Assert.Empty(CallbackLog.CheckReplicas(entries, settled.Configuration.Epoch));
            const string OneRound = "conf-a:init conf-a:process conf-a:activate conf-b:init conf-b:process conf-b:activate conf-c:init conf-c:process conf-c:activate";
            foreach (var silo in cluster.Silos)
            {
                var processor = ProcessorPlacement.SiloProcessor(silo.SiloAddress);
                var rehearsal = ProcessorId.RehearsalOf(processor);
                var rehearsed = entries.Where(e => e.Processor == rehearsal).ToList();
                Assert.Equal(OneRound, string.Join(" ", rehearsed.Select(e => $"{e.Service}:{e.Callback}")));
                Assert.All(rehearsed, e => Assert.Equal(Rehearsal.Of(processor).Epoch, e.Epoch));
                var first = entries.First(e => e.Processor == processor);
                Assert.True(rehearsed[^1].Sequence < first.Sequence, $"{rehearsal} rehearsed ({rehearsed[^1]}) after {processor}'s first round began ({first})");
                output.WriteLine($"{processor}: rehearsed in epoch {rehearsed[0].Epoch}, first round {first.Epoch}");
            }

            Assert.DoesNotContain(settled.Configuration.Members, ProcessorId.IsRehearsal);
            Assert.True(settled.Configuration.Epoch < Rehearsal.FirstEpoch);
            var history = await driver.Configuration.GetHistory();
            Assert.All(history, round => Assert.False(Rehearsal.IsRehearsal(round.Epoch), $"epoch {round.Epoch} is a rehearsal's, in the history"));
            // Three rehearsals ran, and the engine's instruments counted only the deployment's rounds.
            Assert.Equal(history.Length, roundsStarted.Total);
            Assert.Contains(ProcessorPlacement.SiloProcessor(added.SiloAddress), settled.Configuration.Members);
        });
    }

    [Fact]
    public async Task A_rehearsal_that_runs_out_of_time_costs_only_the_warmth_and_the_silo_joins_all_the_same()
    {
        var mark = ConformanceJournal.Mark();
        await OnClusterAsync(2, TimeSpan.FromTicks(1), async cluster =>
        {
            var driver = new ResyncDriver(cluster.Client);
            var settled = await Settled(driver, cluster, "two silos whose rehearsals ran out of time at once");

            var entries = ConformanceJournal.Since(mark);
            Assert.Empty(CallbackLog.CheckReplicas(entries, settled.Configuration.Epoch));
            Assert.Empty(CallbackLog.CheckBarriers(entries.Where(e => !ProcessorId.IsRehearsal(e.Processor))));
            await driver.AssertConverged(settled.Configuration);
        });
    }
}
