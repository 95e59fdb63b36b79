using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using Orleans.TestingHost;
using Resync.Clustering;
using Resync.Hosting;
using Resync.Placement;
using Resync.Reference;
using Resync.Runtime;
using Resync.Tests.Infrastructure;
using Resync.Tests.Reference;

namespace Resync.Tests.Cluster;

/// <summary>Silos as processors (issue 4), in process: Orleans membership drives the configuration.</summary>
public sealed class SiloProcessorTests(ITestOutputHelper output)
{
    private static readonly TimeSpan EvictedSiloReturn = TimeSpan.FromSeconds(1);

    public sealed class SiloProcessorSilo : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddResyncMemoryStorage().AddResync(options =>
            {
                options.Silos.Processors = true;
                options.Silos.Rehearse = true;
                options.Deadlines.EvictedSiloReturn = EvictedSiloReturn;
            }).AddReferenceServices();
            siloBuilder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, ShutdownProbe>();
        }
    }

    /// <summary>What the configuration was when each silo's own shutdown began (its lifecycle's stop, after the host's stopping).</summary>
    private static readonly ConcurrentDictionary<string, ResyncStatus> StatusAtShutdown = new();

    private sealed class ShutdownProbe(ILocalSiloDetails silo, IGrainFactory grains) : ILifecycleParticipant<ISiloLifecycle>
    {
        // Stopped before the engine's own participants: stages stop from the highest. Bounded: the last silo of a
        // cluster that stops finds no silo to activate the configuration grain on, and must not hang there.
        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(ShutdownProbe), ServiceLifecycleStage.Active + 1, _ => Task.CompletedTask, async _ =>
            {
                try
                {
                    StatusAtShutdown[ProcessorPlacement.SiloProcessor(silo.SiloAddress)] =
                        await grains.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key).GetStatus().WaitAsync(TimeSpan.FromSeconds(2));
                }
                catch (Exception exception) when (exception is TimeoutException or OrleansException)
                {
                    // Only the stop of a silo while others serve is asserted on.
                }
            });
    }

    /// <summary>Runs <paramref name="test"/> on a fresh cluster of <paramref name="silos"/> silo processors, stopped afterwards whatever happens.</summary>
    private static Task OnClusterAsync(short silos, Func<TestCluster, Task> test) => FreshCluster.RunAsync<SiloProcessorSilo>(silos, test);

    private static string[] SiloProcessors(IEnumerable<SiloHandle> silos) =>
        [.. silos.Select(s => ProcessorPlacement.SiloProcessor(s.SiloAddress)).Order(StringComparer.Ordinal)];

    /// <summary>Waits until the configuration's silo processors are exactly those of <paramref name="silos"/> and its round completed.</summary>
    private static Task<ResyncStatus> Settled(ResyncDriver driver, IEnumerable<SiloHandle> silos, string phase)
    {
        var expected = SiloProcessors(silos);
        return driver.WaitForStatus(
            s => s.Configuration.Members.Where(ProcessorId.IsSilo).SequenceEqual(expected) && s.Round is { Phase: RoundPhase.Completed } r && r.Epoch == s.Configuration.Epoch,
            $"{phase}: expected silo processors {string.Join(" ", expected)}");
    }

    [Fact]
    public async Task A_silo_that_starts_or_stops_starts_a_round_with_or_without_its_processor_and_replicas_agree()
    {
        await OnClusterAsync(2, async cluster =>
        {
            var driver = new ReferenceDriver(cluster.Client);
            var initial = await Settled(driver.Engine, cluster.Silos, "two silos");
            var first = initial.Configuration.Members.First(ProcessorId.IsSilo);
            await driver.Ckpt(first).Create("kept");
            await driver.Ckpt(first).Write("kept", "s", ReferenceDriver.Bytes(10_000, 4));
            await driver.Settle(driver.Engine.Join("logical-1"));

            var added = await cluster.StartAdditionalSiloAsync();
            var addedProcessor = ProcessorPlacement.SiloProcessor(added.SiloAddress);
            var grown = await Settled(driver.Engine, cluster.Silos, "a third silo joined");
            Assert.Contains("logical-1", grown.Configuration.Members);
            Assert.Contains(addedProcessor, grown.Configuration.Members);
            await driver.AssertIdentical();
            Assert.Equal(ReferenceDriver.Bytes(10_000, 4), await driver.Ckpt(addedProcessor).Read("kept", "s"));

            await cluster.StopSiloAsync(added);
            // The silo left while it still served: its departure's round had completed before its shutdown began.
            var atShutdown = StatusAtShutdown[addedProcessor];
            Assert.DoesNotContain(addedProcessor, atShutdown.Configuration.Members);
            Assert.True(atShutdown.Round is { Phase: RoundPhase.Completed } r && r.Epoch == atShutdown.Configuration.Epoch,
                $"when the silo's shutdown began, the round of epoch {atShutdown.Configuration.Epoch} was {atShutdown.Round?.Phase} (epoch {atShutdown.Round?.Epoch})");
            var shrunk = await Settled(driver.Engine, cluster.Silos, "the third silo stopped");
            Assert.DoesNotContain(addedProcessor, shrunk.Configuration.Members);
            Assert.True(shrunk.Configuration.Epoch > grown.Configuration.Epoch);
            await driver.WaitForIdentical("after the third silo stopped (its departure renews the epoch for logical-1)");
            output.WriteLine($"epochs: two silos {initial.Configuration.Epoch}, three {grown.Configuration.Epoch}, two again {shrunk.Configuration.Epoch}");
        });
    }

    [Fact]
    public async Task An_evicted_silo_processor_whose_silo_stays_active_and_ready_is_taken_back_after_the_return_delay()
    {
        await OnClusterAsync(2, async cluster =>
        {
            var driver = new ReferenceDriver(cluster.Client);
            var settled = await Settled(driver.Engine, cluster.Silos, "two silos");
            var evicted = settled.Configuration.Members.Last(ProcessorId.IsSilo);

            // As the sequencer does when a step deadline passes with the silo's processor still missing.
            var clock = Stopwatch.StartNew();
            var without = await driver.Engine.Callbacks.Evict(settled.Configuration.Epoch, [evicted], "missed a step deadline (the test says so)");
            Assert.DoesNotContain(evicted, without.Configuration.Members);

            var back = await Settled(driver.Engine, cluster.Silos, $"{evicted} taken back without a membership change");
            Assert.True(clock.Elapsed >= EvictedSiloReturn * 0.9, $"{evicted} was taken back after {clock.Elapsed.TotalMilliseconds} ms, before the return delay");
            Assert.True(back.Configuration.Epoch > without.Configuration.Epoch);
            await driver.WaitForIdentical($"after {evicted} returned");
        });
    }

    [Fact]
    public async Task A_stale_silo_proposal_never_moves_the_configuration_back_and_silo_processors_cannot_be_joined_by_hand()
    {
        await OnClusterAsync(1, async cluster =>
        {
            var driver = new ResyncDriver(cluster.Client);
            var settled = await Settled(driver, cluster.Silos, "one silo");

            var stale = await driver.Membership.ProposeSilos(0, [], []);
            Assert.False(stale.Changed);
            Assert.Equal(settled.Configuration, await driver.Configuration.GetConfiguration());

            var refused = await Assert.ThrowsAsync<ArgumentException>(() => driver.Join("silo:127.0.0.1:1@1"));
            Assert.Contains("silo processor", refused.Message);
            Assert.Equal(settled.Configuration, await driver.Configuration.GetConfiguration());
        });
    }

    [Fact]
    public async Task A_silo_departure_renews_the_epoch_once_however_often_it_is_reported_and_a_proposal_whose_write_failed_is_taken_again()
    {
        await FreshCluster.RunAsync<FailingWriteSilo>(1, async cluster =>
        {
            var driver = new ResyncDriver(cluster.Client);
            await Settled(driver, cluster.Silos, "one silo");
            var joined = (await driver.Join("p1")).Configuration;
            await driver.WaitForRound(joined.Epoch);
            ImmutableArray<string> silos = [.. joined.Members.Where(ProcessorId.IsSilo)];

            // Membership versions far above this cluster's own, whose watcher's proposals this test makes stale.
            const string gone = "silo:127.0.0.1:1@1";
            const long version = long.MaxValue - 3;
            FailingWriteSilo.FailWriteOf(version);
            await Assert.ThrowsAnyAsync<Exception>(() => driver.Membership.ProposeSilos(version, silos, [gone]));
            Assert.Equal(joined, await driver.Configuration.GetConfiguration());

            // The watcher retries the proposal that failed; then a second silo's watcher reports the same departure,
            // at the next membership version, where it saw it.
            var first = await driver.Membership.ProposeSilos(version, silos, [gone]);
            Assert.True(first.Changed, "the departure of a silo that hosted logical processors' replicas did not renew the epoch when its proposal came again after a failed write");
            Assert.Equal(joined.Members.ToArray(), first.Configuration.Members.ToArray());
            var again = await driver.Membership.ProposeSilos(version + 1, silos, [gone]);
            Assert.False(again.Changed, $"the second report of {gone}'s departure renewed epoch {first.Configuration.Epoch} to {again.Configuration.Epoch}");

            // The next incarnation of the same address departs anew.
            var returned = await driver.Membership.ProposeSilos(version + 2, silos, ["silo:127.0.0.1:1@2"]);
            Assert.True(returned.Changed, "the departure of a silo's next incarnation did not renew the epoch");
            await driver.WaitForRound(returned.Configuration.Epoch);
        });
    }

    /// <summary>A silo processor whose storage fails the configuration's write of one membership version, when the test says so.</summary>
    public sealed class FailingWriteSilo : ISiloConfigurator
    {
        private static long _failVersion = -1;

        public static void FailWriteOf(long membershipVersion) => Interlocked.Exchange(ref _failVersion, membershipVersion);

        public void Configure(ISiloBuilder siloBuilder)
        {
            siloBuilder.AddResync(options => (options.Silos.Processors, options.Silos.Rehearse) = (true, true)).AddReferenceServices();
            siloBuilder.Services.AddKeyedSingleton<IGrainStorage>(ResyncOptions.StorageName, (sp, _) => new FailingWrites(new InProcessGrainStorage(sp.GetRequiredService<Serializer>())));
        }

        private sealed class FailingWrites(IGrainStorage inner) : IGrainStorage
        {
            public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

            public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
                grainState.State is Engine.ConfigurationState { SiloMembershipVersion: var version } && version == Interlocked.Read(ref _failVersion) &&
                Interlocked.CompareExchange(ref _failVersion, -1, version) == version
                    ? throw new InvalidOperationException($"the write of membership version {version} failed (the test says so)")
                    : inner.WriteStateAsync(stateName, grainId, grainState);

            public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
        }
    }
}
