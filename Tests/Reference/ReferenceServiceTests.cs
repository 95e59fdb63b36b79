using System.Text;
using Resync.Reference;
using Resync.Reference.Ckpt;
using Resync.Tests.Infrastructure;

namespace Resync.Tests.Reference;

[Collection(ReferenceCollection.Name)]
public sealed class ReferenceServiceTests(ReferenceClusterFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private readonly ReferenceDriver _driver = new(fixture.Cluster.Client);

    public Task InitializeAsync() => _driver.Reset();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task After_every_round_all_members_hold_identical_clm_evt_and_ckpt_state()
    {
        var first = await _driver.Settle(_driver.Engine.Join("p1", "p2", "p3"));
        await _driver.AssertIdentical();
        await _driver.Evt("p1").OpenChannel("alerts");
        await _driver.Evt("p2").Publish("alerts", Encoding.UTF8.GetBytes("disk full"), Hour);
        await _driver.Evt("p3").Subscribe("alerts");
        await _driver.Ckpt("p1").Create("orders");
        await _driver.Ckpt("p2").Write("orders", "head", ReferenceDriver.Bytes(1000, 1));
        await _driver.AssertIdentical();

        var second = await _driver.Settle(_driver.Engine.Join("p4"));

        await _driver.AssertIdentical();
        var view = await _driver.Clm("p4").GetView();
        Assert.Equal(second.Members.ToArray(), view.Members.Select(m => m.Processor).ToArray());
        Assert.Equal(first.Epoch, view.Members.Single(m => m.Processor == "p1").JoinedEpoch);
        Assert.Equal(second.Epoch, view.Members.Single(m => m.Processor == "p4").JoinedEpoch);
        Assert.Equal("disk full", Encoding.UTF8.GetString(Assert.Single(await _driver.Evt("p4").ListEvents("alerts")).Payload));
        Assert.Equal(ReferenceDriver.Bytes(1000, 1), await _driver.Ckpt("p4").Read("orders", "head"));
    }

    [Fact]
    public async Task A_processor_that_leaves_keeps_stale_replicas_and_when_it_rejoins_gets_the_newest_versions_and_loses_what_was_deleted()
    {
        await _driver.Settle(_driver.Engine.Join("p1", "p2", "p3"));
        await _driver.Ckpt("p1").Create("a");
        await _driver.Ckpt("p1").Write("a", "s", ReferenceDriver.Bytes(100, 1));
        await _driver.Ckpt("p1").Create("b");
        await _driver.Evt("p1").OpenChannel("old");
        await _driver.Evt("p1").Publish("old", [1], Hour);
        await _driver.Settle(_driver.Engine.Leave("p3"));

        await _driver.Ckpt("p2").Write("a", "s", ReferenceDriver.Bytes(100, 2));
        await _driver.Ckpt("p2").Delete("b");
        await _driver.Ckpt("p1").Create("c");
        await _driver.Evt("p2").CloseChannel("old");
        await _driver.Evt("p2").OpenChannel("new");
        await _driver.Evt("p1").Publish("new", [2], Hour);

        Assert.Equal(["a", "b"], (await _driver.Ckpt("p3").List()).Select(c => c.Name).ToArray());
        Assert.Equal(ReferenceDriver.Bytes(100, 1), await _driver.Ckpt("p3").Read("a", "s"));
        await Assert.ThrowsAsync<NotAMemberException>(() => _driver.Ckpt("p3").Create("x"));

        await _driver.Settle(_driver.Engine.Join("p3"));

        await _driver.AssertIdentical();
        Assert.Equal(["a", "c"], (await _driver.Ckpt("p3").List()).Select(c => c.Name).ToArray());
        Assert.Equal(ReferenceDriver.Bytes(100, 2), await _driver.Ckpt("p3").Read("a", "s"));
        Assert.Equal(["new"], (await _driver.Evt("p3").ListChannels()).Select(c => c.Name).ToArray());
        Assert.Equal([2], Assert.Single(await _driver.Evt("p3").ListEvents("new")).Payload);
    }

    [Fact]
    public async Task A_processor_that_fails_loses_its_replicas_and_nothing_acknowledged_is_lost_while_a_member_that_held_it_survives()
    {
        await _driver.Settle(_driver.Engine.Join("p1", "p2", "p3"));
        await _driver.Ckpt("p1").Create("kept");
        await _driver.Ckpt("p1").Write("kept", "s", ReferenceDriver.Bytes(5000, 3));
        await _driver.Evt("p2").OpenChannel("log");
        var acknowledged = await _driver.Evt("p2").Publish("log", [7], Hour);

        await _driver.Settle(_driver.Engine.Fail("p1", "p2"));
        Assert.Empty(await _driver.Ckpt("p1").List());
        Assert.Empty(await _driver.Evt("p2").ListChannels());

        await _driver.Settle(_driver.Engine.Join("p1", "p2"));

        await _driver.AssertIdentical();
        Assert.Equal(ReferenceDriver.Bytes(5000, 3), await _driver.Ckpt("p1").Read("kept", "s"));
        Assert.Equal(acknowledged, Assert.Single(await _driver.Evt("p1").ListEvents("log")).Id);
    }

    [Fact]
    public async Task A_joiner_receives_16_MiB_over_many_process_calls_and_a_change_in_the_middle_aborts_the_transfer_cleanly()
    {
        const int checkpoints = 16, sectionBytes = 1024 * 1024;
        await _driver.Settle(_driver.Engine.Join("p1", "p2"));
        for (var i = 0; i < checkpoints; i++)
        {
            await _driver.Ckpt("p1").Create($"big{i}");
            await _driver.Ckpt("p2").Write($"big{i}", "data", ReferenceDriver.Bytes(sectionBytes, i));
        }

        using var forwarded = new CounterTotal("resync.exchange.forwarded");
        var joining = (await _driver.Engine.Join("p3")).Configuration;
        await _driver.Engine.WaitForStatus(
            s => s.Round is { Phase: RoundPhase.Processing, Service: CkptGrain.Name } r && r.Epoch == joining.Epoch,
            "the joiner's checkpoint transfer");
        var final = await _driver.Settle(_driver.Engine.Join("p4"));

        var history = await _driver.Engine.Configuration.GetHistory();
        var interrupted = history.Single(r => r.Epoch == joining.Epoch);
        Assert.Equal(RoundPhase.Aborted, interrupted.Outcome);
        Assert.Equal(2, interrupted.Steps.Length);
        var completed = history.Single(r => r.Epoch == final.Epoch);
        var transfer = completed.Steps.Single(s => s.Service == CkptGrain.Name);
        Assert.True(transfer.ProcessCalls >= (long)checkpoints * sectionBytes / ReferenceTestSilo.ChunkBytes, $"{transfer.ProcessCalls} process calls");
        output.WriteLine($"16 MiB to two joiners: {transfer.ProcessCalls} process calls, {transfer.Processing.TotalMilliseconds:F0} ms, {forwarded.Total} chunks forwarded");
        // Every whole chunk went straight to each joiner's inbox, not through the sequencer.
        Assert.True(forwarded.Total >= 2L * checkpoints * sectionBytes / ReferenceTestSilo.ChunkBytes, $"{forwarded.Total} chunks forwarded");

        await _driver.AssertIdentical();
        for (var i = 0; i < checkpoints; i += 5)
        {
            Assert.Equal(ReferenceDriver.Bytes(sectionBytes, i), await _driver.Ckpt("p4").Read($"big{i}", "data"));
        }

        // The joiners' inboxes keep the last round's forwards (for a repeated notice) until their next round reaches them.
        Assert.True(await Inbox("p4").Held() > 0, "p4's inbox after the round that took it in");
        await _driver.Settle(_driver.Engine.Leave("p1"));
        foreach (var joiner in new[] { "p3", "p4" })
        {
            await ResyncDriver.Until(Inbox(joiner).Held, held => held == 0, held => $"{joiner}'s inbox still holds {held} forwarded chunks after its next round");
        }
    }

    private IInboxGrain Inbox(string processor) => fixture.Cluster.Client.GetGrain<IInboxGrain>(processor);

    [Fact]
    public async Task A_joiner_takes_in_many_checkpoints_whose_indices_are_gathered_in_batches()
    {
        await _driver.Settle(_driver.Engine.Join("p1", "p2", "p3"));
        // 90 checkpoints make every member's index larger than a 4 KiB batch: the gathering answers with one
        // index and each member fetches the others.
        for (var i = 0; i < 90; i++)
        {
            var writer = $"p{1 + (i % 3)}";
            await _driver.Ckpt(writer).Create($"checkpoint-{i:D3}");
            await _driver.Ckpt(writer).Write($"checkpoint-{i:D3}", "s", ReferenceDriver.Bytes(16, (byte)i));
        }

        await _driver.Settle(_driver.Engine.Join("p4"));

        await _driver.AssertIdentical();
        Assert.Equal(90, (await _driver.Ckpt("p4").List()).Length);
        Assert.Equal(ReferenceDriver.Bytes(16, 77), await _driver.Ckpt("p4").Read("checkpoint-077", "s"));
    }

    [Fact]
    public async Task Evt_uses_the_clm_view_activated_in_the_same_round_and_drops_the_subscriptions_of_processors_that_left_it()
    {
        await _driver.Settle(_driver.Engine.Join("p1", "p2", "p3"));
        await _driver.Evt("p1").OpenChannel("news");
        await _driver.Evt("p1").Subscribe("news");
        await _driver.Evt("p2").Subscribe("news");
        await _driver.Evt("p3").Subscribe("news");

        var after = await _driver.Settle(_driver.Engine.Fail("p2"));

        foreach (var member in after.Members)
        {
            Assert.Equal(after.Epoch, (await _driver.Clm(member).GetView()).Epoch);
            var channel = Assert.Single(await _driver.Evt(member).ListChannels());
            Assert.Equal(["p1", "p3"], channel.Subscribers.ToArray());
        }

        await _driver.AssertIdentical();
    }

    [Fact]
    public async Task Bad_input_to_every_client_operation_gets_a_clear_error_and_changes_nothing()
    {
        await _driver.Settle(_driver.Engine.Join("p1", "p2"));
        await _driver.Ckpt("p1").Create("ok");
        await _driver.Evt("p1").OpenChannel("ok");
        var before = await _driver.Ckpt("p2").GetDigest();
        var evtBefore = await _driver.Evt("p2").GetDigest();
        var tooLong = new string('n', ItemName.MaxLength + 1);

        await Expect<NotAMemberException>(() => _driver.Ckpt("p9").Create("x"), "not a member");
        await Expect<NotAMemberException>(() => _driver.Evt("p9").OpenChannel("x"), "not a member");
        // A replica that holds nothing of the cluster's state says it is not a member, not that the channel is missing.
        await Expect<NotAMemberException>(() => _driver.Evt("p9").Publish("ok", [1], Hour), "not a member");
        await Expect<NotAMemberException>(() => _driver.Evt("p9").Subscribe("ok"), "not a member");
        await Expect<NotAMemberException>(() => _driver.Evt("p9").CloseChannel("ok"), "not a member");
        await Expect<NotAMemberException>(() => _driver.Ckpt("p9").Write("ok", "s", [1]), "not a member");
        await Expect<ArgumentException>(() => _driver.Ckpt("p1").Read("missing", "s"), "No checkpoint named 'missing'");
        await Expect<ArgumentException>(() => _driver.Ckpt("p1").Read("ok", "missing"), "no section 'missing'");
        await Expect<ArgumentException>(() => _driver.Ckpt("p1").Write("missing", "s", [1]), "No checkpoint named 'missing'");
        await Expect<ArgumentException>(() => _driver.Ckpt("p1").Delete("missing"), "No checkpoint named 'missing'");
        await Expect<ArgumentException>(() => _driver.Ckpt("p1").Create("ok"), "already exists");
        await Expect<ArgumentException>(() => _driver.Ckpt("p1").Create("bad/name"), "not a valid checkpoint name");
        await Expect<ArgumentException>(() => _driver.Ckpt("p1").Create(""), "not a valid checkpoint name");
        await Expect<ArgumentException>(() => _driver.Ckpt("p1").Create(tooLong), "not a valid checkpoint name");
        await Expect<ArgumentException>(() => _driver.Ckpt("p1").Write("ok", "s p", [1]), "not a valid section name");
        await Expect<ArgumentException>(() => _driver.Ckpt("p1").Write("ok", "s", new byte[1024 * 1024 + 1]), "exceeds the limit");
        await Expect<ArgumentException>(() => _driver.Evt("p1").Publish("missing", [1], Hour), "No open channel named 'missing'");
        await Expect<ArgumentException>(() => _driver.Evt("p1").Publish("ok", new byte[64 * 1024 + 1], Hour), "exceeds the limit");
        await Expect<ArgumentException>(() => _driver.Evt("p1").Publish("ok", [1], TimeSpan.Zero), "Retention");
        await Expect<ArgumentException>(() => _driver.Evt("p1").Subscribe("missing"), "No open channel");
        await Expect<ArgumentException>(() => _driver.Evt("p1").ListEvents("bad name"), "not a valid channel name");
        await Expect<ArgumentException>(() => _driver.Evt("p1").CloseChannel("missing"), "No open channel");

        Assert.Equal(before, await _driver.Ckpt("p2").GetDigest());
        Assert.Equal(evtBefore, await _driver.Evt("p2").GetDigest());
        await _driver.AssertIdentical();
    }

    [Fact]
    public async Task A_checkpoint_cannot_grow_past_its_size_limit()
    {
        await _driver.Settle(_driver.Engine.Join("p1"));
        await _driver.Ckpt("p1").Create("full");
        for (var i = 0; i < 32; i++)
        {
            await _driver.Ckpt("p1").Write("full", $"s{i}", new byte[1024 * 1024]);
        }

        var digest = await _driver.Ckpt("p1").GetDigest();
        await Expect<ArgumentException>(() => _driver.Ckpt("p1").Write("full", "s32", [1]), "over the limit");
        Assert.Equal(digest, await _driver.Ckpt("p1").GetDigest());
    }

    private static async Task Expect<TException>(Func<Task> operation, string message)
        where TException : Exception
    {
        var error = await Assert.ThrowsAsync<TException>(operation);
        Assert.Contains(message, error.Message);
    }
}
