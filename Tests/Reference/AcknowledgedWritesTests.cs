using Resync.Reference;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Reference;

/// <summary>
/// Nothing acknowledged is lost (issue 6): a seeded schedule of joins, leaves and fails, made while rounds are
/// in flight, interleaved with EVT publishes and CKPT writes through random members. A write is
/// acknowledged when its call returns (every member's replica applied it); one refused ("recovery in
/// progress", "not a member"), in doubt (<see cref="WriteOutcomeUnknownException"/>) or failed is not. One processor stays a member throughout, so every
/// acknowledged write always has a holder. After the schedule settles, every member holds every
/// acknowledged event, and each checkpoint holds its last acknowledged value or a value written (without
/// acknowledgement) after it, never an older one. Seeds as in <see cref="Cluster.RandomizedFaultTests"/>.
/// </summary>
[Collection(ReferenceCollection.Name)]
public sealed class AcknowledgedWritesTests(ReferenceClusterFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Anchor = "anchor";
    private const string Channel = "log";
    private static readonly string[] Pool = ["w1", "w2", "w3", "w4"];
    private readonly ReferenceDriver _driver = new(fixture.Cluster.Client);

    public Task InitializeAsync() => _driver.Reset();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [InlineData(3, 60)]
    [InlineData(29, 60)]
    // Writes refused by a member that waited for its activation while the others had activated (ReplicatedWriteWaits).
    [InlineData(21, 400)]
    public async Task Under_a_seeded_schedule_of_changes_every_acknowledged_write_is_on_every_member(int ciSeed, int ciSteps)
    {
        var (random, steps) = TestSeed.Schedule(ciSeed, ciSteps, output);
        await _driver.Settle(_driver.Engine.Join(Anchor));
        await _driver.Evt(Anchor).OpenChannel(Channel);

        var events = new List<string>();
        var created = new HashSet<string>();
        var attempts = new Dictionary<string, List<(byte[] Data, bool Acknowledged)>>();
        var refused = 0;
        for (var step = 0; step < steps; step++)
        {
            var members = (await _driver.Engine.Configuration.GetConfiguration()).Members;
            var through = members[random.Next(members.Length)];
            string what;
            switch (random.Next(6))
            {
                case <= 1:
                    what = await ChangeAsync(random, members);
                    break;
                case 2:
                    var payload = ReferenceDriver.Bytes(16, random.Next());
                    what = await AttemptAsync(async () => events.Add(await _driver.Evt(through).Publish(Channel, payload, TimeSpan.FromHours(1))), $"publish through {through}");
                    break;
                case 3:
                    var name = $"c{random.Next(3)}";
                    var data = ReferenceDriver.Bytes(64 + random.Next(4096), random.Next());
                    var list = attempts.TryGetValue(name, out var existing) ? existing : attempts[name] = [];
                    var index = list.Count;
                    list.Add((data, false));
                    what = await AttemptAsync(async () =>
                    {
                        if (!created.Contains(name))
                        {
                            try
                            {
                                await _driver.Ckpt(through).Create(name);
                            }
                            catch (ArgumentException exception) when (exception.Message.Contains("already exists"))
                            {
                                // An earlier create that was not acknowledged did happen.
                            }

                            created.Add(name);
                        }

                        await _driver.Ckpt(through).Write(name, "s", data);
                        list[index] = (data, true);
                    }, $"write {name} ({data.Length} bytes) through {through}");
                    break;
                case 4:
                    what = $"settled at epoch {(await Settle()).Epoch}";
                    break;
                default:
                    var burst = (await _driver.Engine.Configuration.GetConfiguration()).Epoch;
                    what = $"{await ChangeAsync(random, members)}; {await ChangeAsync(random, (await _driver.Engine.Configuration.GetConfiguration()).Members)} after epoch {burst}";
                    break;
            }

            refused += what.Contains("not acknowledged") ? 1 : 0;
            output.WriteLine($"step {step}: {what}");
        }

        var final = await Settle();
        output.WriteLine($"settled at epoch {final.Epoch} with [{string.Join(" ", final.Members)}]: {events.Count} events and " +
            $"{attempts.Values.Sum(a => a.Count(x => x.Acknowledged))} checkpoint writes acknowledged, {refused} attempts not acknowledged");
        foreach (var member in final.Members)
        {
            var held = (await _driver.Evt(member).ListEvents(Channel)).Select(e => e.Id).ToHashSet();
            Assert.True(events.All(held.Contains), $"{member} lost acknowledged events: {string.Join(" ", events.Where(e => !held.Contains(e)))}");
            foreach (var (name, list) in attempts)
            {
                var lastAcknowledged = list.FindLastIndex(a => a.Acknowledged);
                if (lastAcknowledged < 0)
                {
                    continue;
                }

                var value = await _driver.Ckpt(member).Read(name, "s");
                Assert.True(list.Skip(lastAcknowledged).Any(a => a.Data.AsSpan().SequenceEqual(value)),
                    $"{member} holds a value of {name} older than its last acknowledged write (attempt {lastAcknowledged} of {list.Count})");
            }
        }

        await _driver.AssertIdentical();
    }

    private async Task<string> ChangeAsync(Random random, ImmutableArray<string> members)
    {
        var processor = Pool[random.Next(Pool.Length)];
        var (change, verb) = !members.Contains(processor) ? (_driver.Engine.Join(processor), "join")
            : random.Next(2) == 0 ? (_driver.Engine.Leave(processor), "leave") : (_driver.Engine.Fail(processor), "fail");
        return $"{verb} {processor} -> epoch {(await change).Configuration.Epoch}";
    }

    /// <summary>A write that fails is not acknowledged; the schedule goes on.</summary>
    private static async Task<string> AttemptAsync(Func<Task> write, string what)
    {
        try
        {
            await write();
            return $"{what}: acknowledged";
        }
        catch (Exception exception) when (exception is RecoveryInProgressException or WriteOutcomeUnknownException or NotAMemberException or ArgumentException or OrleansException or TimeoutException)
        {
            return $"{what}: not acknowledged ({exception.GetType().Name}: {exception.Message})";
        }
    }

    private async Task<Configuration> Settle()
    {
        var status = await _driver.Engine.WaitForStatus(
            s => s.Round is { Phase: RoundPhase.Completed } round && round.Epoch == s.Configuration.Epoch,
            "settling the schedule");
        return status.Configuration;
    }
}
