using Resync.Testing;
using Resync.Tests.Conformance;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Cluster;

[Collection(ClusterCollection.Name)]
public sealed class StormTests(ResyncClusterFixture fixture, ITestOutputHelper output) : ClusterTest(fixture)
{
    [Fact]
    public async Task Fifty_changes_as_fast_as_the_client_can_end_in_a_completed_round_and_no_earlier_epoch_activates_after_a_later_one_began()
    {
        var random = new Random(TestSeed.Next(output));

        // The mark comes before the first join: the storm supersedes that join's round, whose inits must be in the log.
        var mark = ConformanceJournal.Mark();
        await Driver.Join("s0", "s1", "s2", "s3");
        ConformanceControl.Behaviour = new ConformanceBehaviour(MoreCount: 2, ProcessDelay: TimeSpan.FromMilliseconds(2));

        // Every command changes the configuration: join a processor that is out, or leave or fail one that is in.
        var members = new HashSet<string>(["s0", "s1", "s2", "s3"]);
        var results = new List<ConfigurationChange>();
        for (var i = 0; i < 50; i++)
        {
            var processor = $"s{random.Next(8)}";
            var change = members.Contains(processor)
                ? (random.Next(2) == 0 ? Driver.Leave(processor) : Driver.Fail(processor))
                : Driver.Join(processor);
            results.Add(await change);
            if (!members.Remove(processor))
            {
                members.Add(processor);
            }
        }

        Assert.All(results, r => Assert.True(r.Changed));
        var accepted = results.Select(r => r.Configuration.Epoch).ToList();
        Assert.Equal(accepted.Order(), accepted);
        Assert.Equal(accepted.Count, accepted.Distinct().Count());
        var final = await Driver.Configuration.GetConfiguration();
        Assert.Equal(results.Max(r => r.Configuration.Epoch), final.Epoch);
        var summary = await Driver.WaitForRound(final.Epoch);
        Assert.Equal(final.Epoch, summary.Epoch);

        var log = ConformanceJournal.Since(mark);
        Assert.Empty(CallbackLog.CheckNoActivateAfterNewerEpoch(log));
        CallbackLogAssertions.AssertLegal(log, final, ResyncTestSilo.Services, output);
        await Driver.AssertConverged(final);
        var history = await Driver.Configuration.GetHistory();
        output.WriteLine($"{accepted.Count} accepted changes, final epoch {final.Epoch} with {final.Members.Length} members; " +
            $"{history.Count(r => r.Outcome == RoundPhase.Aborted)} rounds aborted; last round {summary.Duration.TotalMilliseconds:F1} ms");
    }
}
