using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Cluster;

/// <summary>
/// A seeded schedule of faults against the short-deadline cluster: joins, leaves and fails, services that
/// throw in init or process, slow services, silo stops (a silo stops, taking the replicas of the logical
/// processors it hosted, and another starts), stale barrier requests and exchange traffic, duplicated step
/// notices. After it settles, the invariants hold: every replica's callback log is legal, barriers were
/// respected, epochs only grew, the last round completed and every member's replicas agree. CI runs the
/// seeds below; <c>RESYNC_SEED=n RESYNC_FAULT_STEPS=500 dotnet test --filter RandomizedFault</c> runs a
/// longer schedule from any seed.
/// </summary>
[Collection(ShortDeadlineCollection.Name)]
public sealed class RandomizedFaultTests(ShortDeadlineClusterFixture fixture, ITestOutputHelper output) : ClusterTest(fixture)
{
    private static readonly string[] Pool = ["r0", "r1", "r2", "r3", "r4", "r5"];

    [Theory]
    [InlineData(11)]
    [InlineData(42)]
    [InlineData(1977)]
    public async Task A_seeded_schedule_of_faults_settles_into_a_completed_round_with_legal_logs_and_equal_replicas(int ciSeed)
    {
        var (random, steps) = TestSeed.Schedule(ciSeed, 40, output);
        var mark = ConformanceJournal.Mark();
        var epochs = new List<long>();

        for (var step = 0; step < steps; step++)
        {
            var members = (await Driver.Configuration.GetConfiguration()).Members;
            var action = random.Next(13);
            var what = action switch
            {
                <= 4 => await ChangeAsync(random, members, epochs),
                5 => await ThrowAsync(random, members, epochs),
                6 => Slow(random),
                7 => Calm(),
                8 => await InjectStaleAsync(random, members),
                9 => await DuplicateNoticeAsync(random, members),
                10 => await RestartSiloAsync(random),
                _ => await SettleAsync(),
            };
            output.WriteLine($"step {step}: {what}");
            await AssertGeneralRulesAsync(step);
        }

        ConformanceControl.Behaviour = ConformanceBehaviour.Default;
        var final = await SettleOnAsync(await Driver.Configuration.GetConfiguration());
        var rounds = (await Driver.Configuration.GetHistory()).Where(r => r.Epoch > epochs.FirstOrDefault()).ToList();
        output.WriteLine($"settled at epoch {final.Epoch} with [{string.Join(" ", final.Members)}]; rounds: {rounds.Count(r => r.Outcome == RoundPhase.Completed)} completed, " +
            $"{rounds.Count(r => r.Failed)} failed, {rounds.Count(r => r.Outcome == RoundPhase.Aborted && !r.Failed)} superseded");

        Assert.True(epochs.SequenceEqual(epochs.Order()), $"epochs went back: {string.Join(",", epochs)}");
        var history = (await Driver.Configuration.GetHistory()).Select(r => r.Epoch).ToList();
        Assert.True(history.Distinct().Count() == history.Count, "an epoch's round ran twice");
        CallbackLogAssertions.AssertLegal(ConformanceJournal.Since(mark), final, ResyncTestSilo.Services, output);
        await Driver.AssertConverged(final);
    }

    /// <summary>
    /// The rules behind the round's defects, after every step: no two callbacks of one replica overlap, and a round
    /// that completed was never also reported aborted (one outcome per epoch, the one its last barrier decided).
    /// </summary>
    private async Task AssertGeneralRulesAsync(int step)
    {
        Assert.True(ConformanceJournal.Overlaps.IsEmpty, $"step {step}: callbacks overlapped: {string.Join("; ", ConformanceJournal.Overlaps)}");
        var history = await Driver.Configuration.GetHistory();
        var completed = history.Where(r => r.Outcome == RoundPhase.Completed).Select(r => r.Epoch).ToHashSet();
        Assert.DoesNotContain(history.Where(r => r.Outcome == RoundPhase.Aborted), r => completed.Contains(r.Epoch));
    }

    private async Task<string> ChangeAsync(Random random, ImmutableArray<string> members, List<long> epochs)
    {
        var processor = Pool[random.Next(Pool.Length)];
        var (change, verb) = !members.Contains(processor) ? (Driver.Join(processor), "join")
            : random.Next(2) == 0 ? (Driver.Leave(processor), "leave") : (Driver.Fail(processor), "fail");
        var result = await change;
        epochs.Add(result.Configuration.Epoch);
        return $"{verb} {processor} -> epoch {result.Configuration.Epoch}";
    }

    /// <summary>A service starts throwing, and a change makes a round meet it: that round fails; the throw lasts until a calm or settle step.</summary>
    private async Task<string> ThrowAsync(Random random, ImmutableArray<string> members, List<long> epochs)
    {
        var service = ResyncTestSilo.Services[random.Next(ResyncTestSilo.Services.Length)];
        var callback = random.Next(2) == 0 ? "init" : "process";
        ConformanceControl.Behaviour = ConformanceControl.Behaviour with { ThrowIn = callback, ThrowService = service };
        var change = await ChangeAsync(random, members, epochs);
        var epoch = epochs[^1];
        if ((await Driver.Configuration.GetConfiguration()).Members.IsEmpty)
        {
            return $"{service} throws in {callback}; {change}, no members";
        }

        var ended = await Driver.WaitForEnded(epoch);
        Assert.True(ended.Failed || ended.Outcome == RoundPhase.Aborted, $"epoch {epoch} {ended.Outcome} although {service} throws in {callback}");
        return $"{service} throws in {callback}; {change}: {ended.Outcome}{(ended.Failed ? $" ({ended.AbortReason})" : "")}";
    }

    private static string Slow(Random random)
    {
        var delay = TimeSpan.FromMilliseconds(random.Next(1, 30));
        var more = random.Next(3);
        ConformanceControl.Behaviour = ConformanceControl.Behaviour with { ProcessDelay = delay, MoreCount = more };
        return $"process slowed to {delay.TotalMilliseconds} ms, {more} more";
    }

    private static string Calm()
    {
        ConformanceControl.Behaviour = ConformanceBehaviour.Default;
        return "services behave";
    }

    /// <summary>A silo other than the primary stops cleanly, mid-round or not, and a new one starts in its place.</summary>
    private async Task<string> RestartSiloAsync(Random random)
    {
        var silo = Cluster.SecondarySilos[random.Next(Cluster.SecondarySilos.Count)];
        await Cluster.StopSiloAsync(silo);
        var started = await Cluster.StartAdditionalSiloAsync();
        return $"silo {silo.SiloAddress} stopped, {started.SiloAddress} started";
    }

    /// <summary>A barrier request and an exchange contribution of an epoch that is over.</summary>
    private async Task<string> InjectStaleAsync(Random random, ImmutableArray<string> members)
    {
        var current = (await Driver.Configuration.GetConfiguration()).Epoch;
        if (current < 2 || members.IsEmpty)
        {
            return "no stale traffic yet";
        }

        var old = current - 1 - random.Next((int)Math.Min(current - 1, 5));
        var member = members[random.Next(members.Length)];
        var verdict = await Grains.GetGrain<IBarrierGrain>(current).Arrive(new BarrierRequest(old, 0, member));
        await Assert.ThrowsAsync<ArgumentException>(() => Grains.GetGrain<ISequencerGrain>(current).Gather("index",
            new Contribution(old, "conf-a", member, 1000 + random.Next(1000), [], new ConformanceRecord(member, old))));
        Assert.NotEqual(BarrierVerdict.Accepted, verdict);
        Assert.NotEqual(BarrierVerdict.Completed, verdict);
        return $"stale traffic of epoch {old} from {member}: {verdict}";
    }

    /// <summary>The first step's notice again, as a retried message would bring it: following it twice must be harmless.</summary>
    private async Task<string> DuplicateNoticeAsync(Random random, ImmutableArray<string> members)
    {
        var configuration = await Driver.Configuration.GetConfiguration();
        if (members.IsEmpty || configuration.Epoch == 0)
        {
            return "no notice to repeat";
        }

        // A repeat of the step-0 notice exists only once barrier 0 completed (before it, it would be a forgery).
        if ((await Driver.Status()).Round is not { Step: >= 0 } round || round.Epoch != configuration.Epoch)
        {
            return "no notice to repeat yet";
        }

        var member = members[random.Next(members.Length)];
        await Grains.GetGrain<IProcessorGrain>(member).Step(new RoundStep(configuration, 0, ResyncTestSilo.Services[0]), Delivery.None);
        return $"step 0 notice of epoch {configuration.Epoch} repeated to {member}";
    }

    /// <summary>A service that keeps throwing cannot settle: the throw stops, slowness stays.</summary>
    private async Task<string> SettleAsync()
    {
        ConformanceControl.Behaviour = ConformanceControl.Behaviour with { ThrowIn = null, ThrowService = null };
        var settled = await SettleOnAsync(await Driver.Configuration.GetConfiguration());
        return $"settled at epoch {settled.Epoch}";
    }

    /// <summary>Waits until a round of <paramref name="configuration"/>'s epoch or a later one completed and the status shows no newer change in flight.</summary>
    private async Task<Configuration> SettleOnAsync(Configuration configuration)
    {
        if (configuration.Epoch == 0)
        {
            return configuration;
        }

        var status = await Driver.WaitForStatus(
            s => s.Configuration.Epoch >= configuration.Epoch && s.Round is { Phase: RoundPhase.Completed } round && round.Epoch == s.Configuration.Epoch,
            $"settling after epoch {configuration.Epoch}");
        return status.Configuration;
    }
}
