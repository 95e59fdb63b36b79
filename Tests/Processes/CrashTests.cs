using System.Diagnostics;
using Resync.Bench.Processes;
using Resync.Client;
using Resync.Clustering;
using Resync.Reference;
using Resync.Reference.Ckpt;
using Resync.Tests.Infrastructure;
using Resync.Tests.Reference;

namespace Resync.Tests.Processes;

/// <summary>
/// Real crashes (issue 4): three silo processes with PostgreSQL clustering and storage; one is killed with
/// SIGKILL while idle and while a round is in flight. The survivors complete a round without it, their
/// replicas agree, and nothing acknowledged is lost. The time from the kill to the completed round is
/// written to the test output.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class CrashTests(PostgresFixture postgres, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly List<SiloProcess> _silos = [];
    private ClusterConnection? _connection;

    private ReferenceDriver Driver => new(_connection!.Client);

    public async Task InitializeAsync()
    {
        var database = await postgres.NewDatabaseAsync();
        for (var i = 0; i < 3; i++)
        {
            // 1 KiB chunks, each posted on its own: a transfer long enough to kill a silo in the middle of it.
            // Whole chunks go straight to the joiner's inbox; their stand-ins, and the rest, are delivered in
            // batches of 64 KiB, fetched between real processes.
            _silos.Add(SiloProcesses.StartPostgres(database, "--Resync:Ckpt:ChunkBytes", "1024", "--Resync:Transfer:SendBatch", "1", "--Resync:Transfer:DeliveryBatchBytes", "65536", "--Resync:Transfer:ForwardBytes", "1024", "--Resync:Rounds:StallTimeout", "00:00:03", "--Resync:Rounds:ActivityInterval", "00:00:00.500", "--Logging:LogLevel:Resync", "Information"));
        }

        _connection = await ConnectAsync(new ClusteringSettings { Mode = ClusteringMode.Postgres, ConnectionString = database });
        await SiloProcesses.Settled(Driver.Engine, _silos, "three silo processes started");
    }

    public async Task DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }
    }

    [Fact]
    public async Task Killing_an_idle_silo_leads_to_a_completed_round_among_the_survivors_with_nothing_lost()
    {
        var survivorProcessor = await ProcessorOf(_silos[0]);
        await Written(() => Driver.Ckpt(survivorProcessor).Create("kept"));
        await Written(() => Driver.Ckpt(survivorProcessor).Write("kept", "s", ReferenceDriver.Bytes(50_000, 9)));
        await Written(() => Driver.Evt(survivorProcessor).OpenChannel("log"));
        var acknowledged = await Written(() => Driver.Evt(survivorProcessor).Publish("log", [1, 2, 3], TimeSpan.FromHours(1)));

        var elapsed = await KillAndWait(_silos[2], "idle");

        await Driver.WaitForIdentical("the survivors after the kill");
        var other = await ProcessorOf(_silos[1]);
        Assert.Equal(ReferenceDriver.Bytes(50_000, 9), await ResyncDriver.Retrying(() => Driver.Ckpt(other).Read("kept", "s")));
        Assert.Equal(acknowledged, Assert.Single(await ResyncDriver.Retrying(() => Driver.Evt(other).ListEvents("log"))).Id);
        output.WriteLine($"kill -9 of an idle silo to the completed round: {elapsed.TotalMilliseconds:F0} ms");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Killing_a_silo_while_a_round_transfers_checkpoints_leads_to_a_completed_round_among_the_survivors(bool killTheSender)
    {
        var writer = await ProcessorOf(_silos[0]);
        await Written(() => Driver.Evt(writer).OpenChannel("log"));
        var acknowledged = await Written(() => Driver.Evt(writer).Publish("log", [7], TimeSpan.FromHours(1)));
        for (var i = 0; i < 4; i++)
        {
            await Written(() => Driver.Ckpt(writer).Create($"bulk{i}"));
            await Written(() => Driver.Ckpt(writer).Write($"bulk{i}", "data", ReferenceDriver.Bytes(1024 * 1024, i)));
        }

        // Every silo holds the checkpoints; the holder with the lowest id sends them to the joiner, in 1 KiB
        // chunks, while the other silos' processors have finished and wait at the barrier.
        var siloProcessors = new List<(SiloProcess Silo, string Processor)>();
        foreach (var silo in _silos)
        {
            siloProcessors.Add((silo, await ProcessorOf(silo)));
        }

        siloProcessors.Sort((a, b) => string.CompareOrdinal(a.Processor, b.Processor));
        var (victim, victimProcessor) = killTheSender ? siloProcessors[0] : siloProcessors[^1];
        var sender = siloProcessors[0].Processor;
        var joining = (await Driver.Engine.Join("logical-joiner")).Configuration;
        await Driver.Engine.WaitForStatus(
            s => s.Round is { Phase: RoundPhase.Processing, Service: CkptGrain.Name } r && r.Epoch == joining.Epoch
                && r.Pending.Contains(sender) && r.Pending.Contains(victimProcessor) == killTheSender,
            killTheSender ? "the sender in the middle of the joiner's checkpoint transfer" : "the victim at the barrier while the sender transfers");

        var elapsed = await KillAndWait(victim, killTheSender ? "the sender, in process" : "a silo waiting at the barrier");

        var history = await ResyncDriver.Retrying(() => Driver.Engine.Configuration.GetHistory());
        if (killTheSender)
        {
            // The sender never reached the last barrier: the round cannot complete.
            Assert.DoesNotContain(history, r => r.Epoch == joining.Epoch && r.Outcome == RoundPhase.Completed);
        }

        // A victim that waited at the last barrier had already done its part: if the sender finished before the
        // configuration without the victim came, the round was complete (contract item 5) and counts so.
        await Driver.WaitForIdentical("the survivors after the kill");
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(ReferenceDriver.Bytes(1024 * 1024, i), await ResyncDriver.Retrying(() => Driver.Ckpt("logical-joiner").Read($"bulk{i}", "data")));
        }

        Assert.Equal(acknowledged, Assert.Single(await ResyncDriver.Retrying(() => Driver.Evt("logical-joiner").ListEvents("log"))).Id);
        output.WriteLine($"kill -9 of {(killTheSender ? "the sending silo" : "a silo waiting at the barrier")} during a checkpoint transfer to the completed round: {elapsed.TotalMilliseconds:F0} ms");
    }

    /// <summary>Kills <paramref name="victim"/> and returns the time from the kill to the end of the round that settles the survivors, by the engine's clock.</summary>
    private async Task<TimeSpan> KillAndWait(SiloProcess victim, string phase)
    {
        var killedAt = DateTimeOffset.UtcNow;
        victim.Kill();
        _silos.Remove(victim);
        var settled = await SiloProcesses.Settled(Driver.Engine, _silos, $"after killing a silo ({phase})");
        // The round's end reaches the history a moment after its status says completed.
        var round = await Driver.Engine.WaitForEnded(settled.Configuration.Epoch);
        return round.EndedAt - killedAt;
    }

    /// <summary>
    /// A write as a client makes it: refused with "recovery in progress, retry" while a round runs (contract item 8),
    /// it is made again. Seen once on a fresh clone: a round of a fourth epoch in flight right after the three
    /// silos had settled, past the write's wait.
    /// </summary>
    private static async Task<T> Written<T>(Func<Task<T>> write)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await write();
            }
            catch (RecoveryInProgressException) when (attempt < 20)
            {
                await Task.Delay(100);
            }
        }
    }

    private static Task Written(Func<Task> write) => Written(async () =>
    {
        await write();
        return true;
    });

    private async Task<string> ProcessorOf(SiloProcess silo) =>
        (await ResyncDriver.Retrying(() => Driver.Engine.Configuration.GetConfiguration())).Members.Single(m => m.StartsWith(silo.ProcessorPrefix, StringComparison.Ordinal));

    public static async Task<ClusterConnection> ConnectAsync(ClusteringSettings settings)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await ClusterConnection.ConnectAsync(settings, 0, CancellationToken.None);
            }
            catch (UserErrorException) when (attempt < 60)
            {
                // The silos are still starting (the schema may not even exist yet).
                await Task.Delay(500);
            }
        }
    }
}
