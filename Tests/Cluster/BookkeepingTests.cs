using System.Diagnostics;
using Orleans.Runtime;
using Resync.Runtime;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Cluster;

/// <summary>The engine's own bookkeeping stays bounded, however many rounds it has run.</summary>
[Collection(ClusterCollection.Name)]
public sealed class BookkeepingTests(ResyncClusterFixture fixture, ITestOutputHelper output) : ClusterTest(fixture)
{
    private const int Rounds = 10_000;

    [Fact]
    public async Task After_ten_thousand_rounds_the_engines_grains_in_memory_and_its_history_stay_bounded()
    {
        var management = Grains.GetGrain<IManagementGrain>(0);
        var first = (await Driver.Join("b1")).Configuration;
        await Driver.WaitForRound(first.Epoch);
        var clock = Stopwatch.StartNew();
        var samples = new List<(int Round, int Activations)>();
        for (var round = 1; round <= Rounds; round++)
        {
            var change = round % 2 == 1 ? await Driver.Join("b2") : await Driver.Leave("b2");
            await Driver.WaitForRound(change.Configuration.Epoch);
            if (round % 2_000 == 0)
            {
                samples.Add((round, await EngineActivationsAsync(management)));
            }
        }

        var history = await Driver.Configuration.GetHistory();
        output.WriteLine($"{Rounds} rounds in {clock.Elapsed.TotalSeconds:F1} s; engine activations after every 2,000 rounds: {string.Join(", ", samples.Select(s => $"{s.Round}: {s.Activations}"))}; history {history.Length}");

        // Per-epoch sequencer and barrier grains deactivate after their round (the next epoch's are warmed):
        // what stays is a handful (the last rounds' grains on their way out), not thousands.
        Assert.All(samples, s => Assert.True(s.Activations < 50, $"{s.Activations} engine activations after {s.Round} rounds"));
        Assert.True(samples[^1].Activations <= samples[0].Activations + 20, "engine activations keep growing");
        Assert.Equal(RoundOptions.DefaultHistoryLength, history.Length);
    }

    [Fact]
    public async Task A_late_message_to_an_epoch_whose_round_ended_reactivates_its_grains_only_to_refuse_it()
    {
        var management = Grains.GetGrain<IManagementGrain>(0);
        var old = (await Driver.Join("late-1")).Configuration;
        await Driver.WaitForRound(old.Epoch);
        var next = (await Driver.Leave("late-1")).Configuration;
        await Driver.WaitForRound(next.Epoch);
        var sequencer = Grains.GetGrain<ISequencerGrain>(old.Epoch);
        var barrier = Grains.GetGrain<IBarrierGrain>(old.Epoch);
        GrainId[] grains = [sequencer.GetGrainId(), barrier.GetGrainId()];
        await WaitUntilGone(management, grains, $"epoch {old.Epoch}'s sequencer and barrier deactivating after their round");

        // A replica's last sign of life and a processor's late barrier request, after the round ended.
        await sequencer.OnActivity(old.Epoch);
        Assert.Equal(BarrierVerdict.Stale, await barrier.Arrive(new BarrierRequest(old.Epoch, 0, "late-1")));

        await WaitUntilGone(management, grains, $"epoch {old.Epoch}'s sequencer and barrier, re-activated by late messages, deactivating again");
    }

    [Fact]
    public async Task A_sequencer_and_barrier_warmed_for_a_configuration_that_never_comes_deactivate_after_the_warm_keep()
    {
        var management = Grains.GetGrain<IManagementGrain>(0);
        var unused = (await Driver.Configuration.GetConfiguration()).Epoch + 1_000_000;
        var sequencer = Grains.GetGrain<ISequencerGrain>(unused);
        var clock = Stopwatch.StartNew();
        await sequencer.Warm([]);
        var barrierId = Grains.GetGrain<IBarrierGrain>(unused).GetGrainId();
        await WaitUntil(management, ids => ids.Contains(barrierId), "the warm-up activating the barrier as well");

        await WaitUntilGone(management, [sequencer.GetGrainId(), barrierId], $"epoch {unused}'s warm sequencer and barrier, never used, deactivating");
        Assert.True(clock.Elapsed >= ResyncTestSilo.BookkeepingWarmKeep * 0.9, $"gone after {clock.Elapsed.TotalMilliseconds} ms, before the warm keep");
    }

    [Fact]
    public async Task A_rounds_end_warms_the_sequencers_and_barriers_of_the_next_two_epochs_so_that_a_crash_right_after_it_finds_the_next_pair_made()
    {
        var management = Grains.GetGrain<IManagementGrain>(0);
        var epoch = (await Driver.Join("warm-ahead")).Configuration.Epoch;
        await Driver.WaitForRound(epoch);

        GrainId[] ahead = [.. Enumerable.Range(1, RoundOptions.DefaultWarmAhead)
            .SelectMany(a => new[] { Grains.GetGrain<ISequencerGrain>(epoch + a).GetGrainId(), Grains.GetGrain<IBarrierGrain>(epoch + a).GetGrainId() })];
        await WaitUntil(management, active => ahead.All(active.Contains), $"the sequencers and barriers of epochs {epoch + 1} to {epoch + RoundOptions.DefaultWarmAhead}, warmed when epoch {epoch}'s round ended");
        Assert.DoesNotContain(Grains.GetGrain<IBarrierGrain>(epoch + RoundOptions.DefaultWarmAhead + 1).GetGrainId(), (await management.GetDetailedGrainStatistics()).Select(s => s.GrainId));
        await Driver.Leave("warm-ahead");
    }

    private static Task WaitUntilGone(IManagementGrain management, GrainId[] grains, string phase) =>
        WaitUntil(management, active => !active.Intersect(grains).Any(), phase);

    private static async Task WaitUntil(IManagementGrain management, Func<IReadOnlySet<GrainId>, bool> condition, string phase)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var active = (await management.GetDetailedGrainStatistics()).Select(s => s.GrainId).ToHashSet();
            if (condition(active))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{phase}: not so after 10 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Activations of the engine's per-epoch grains across the cluster, settled.</summary>
    private static async Task<int> EngineActivationsAsync(IManagementGrain management)
    {
        string[] engine = ["SequencerGrain", "BarrierGrain"];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        int count;
        do
        {
            var statistics = await management.GetSimpleGrainStatistics();
            count = statistics.Where(s => engine.Any(e => s.GrainType.Contains(e, StringComparison.Ordinal))).Sum(s => s.ActivationCount);
            if (count < 20)
            {
                break;
            }

            // Deactivation on idle takes effect shortly after a round ends.
            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        return count;
    }
}
