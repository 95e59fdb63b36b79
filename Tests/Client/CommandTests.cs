using System.Text.Json;
using Resync.Bench.Processes;
using Resync.Client;

namespace Resync.Tests.Client;

/// <summary>Every command of the client console, run against an embedded silo: output, JSON and exit codes.</summary>
[Collection(CliCollection.Name)]
public sealed class CommandTests(CliFixture fixture) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        var configuration = await fixture.Configuration.GetConfiguration();
        if (!configuration.Members.IsEmpty)
        {
            var change = await fixture.Configuration.Fail(configuration.Members);
            await fixture.Configuration.WaitForCompletedRound(change.Configuration.Epoch, TimeSpan.FromSeconds(20));
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<long> Settled()
    {
        var epoch = (await fixture.Configuration.GetConfiguration()).Epoch;
        await fixture.Configuration.WaitForCompletedRound(epoch, TimeSpan.FromSeconds(20));
        return epoch;
    }

    [Fact]
    public async Task Processor_join_leave_and_fail_change_the_configuration_several_processors_at_once()
    {
        var joined = (await fixture.Run("processor", "join", "a1", "a2", "a3")).Succeeded();
        Assert.Matches(@"^epoch \d+: members a1 a2 a3", joined.Output);

        var again = (await fixture.Run("processor", "join", "a1", "--json")).Succeeded().Json();
        Assert.False(again.GetProperty("changed").GetBoolean());

        (await fixture.Run("processor", "leave", "a2")).Succeeded();
        var failed = (await fixture.Run("processor", "fail", "a3", "--json")).Succeeded().Json();
        Assert.True(failed.GetProperty("changed").GetBoolean());
        Assert.Equal(["a1"], failed.GetProperty("configuration").GetProperty("members").EnumerateArray().Select(m => m.GetString()!).ToArray());
    }

    [Fact]
    public async Task Status_shows_epoch_members_round_steps_and_dropped_counts_in_text_and_json()
    {
        (await fixture.Run("processor", "join", "s1", "s2")).Succeeded();
        var epoch = await Settled();

        var text = (await fixture.Run("status")).Succeeded().Output;
        Assert.Contains($"epoch     {epoch}", text);
        Assert.Contains("members   2: s1 s2", text);
        Assert.Contains("round     completed", text);
        Assert.Contains("ckpt", text);
        Assert.Contains("dropped   stale", text);

        var json = (await fixture.Run("status", "--json")).Succeeded().Json();
        Assert.Equal(epoch, json.GetProperty("configuration").GetProperty("epoch").GetInt64());
        Assert.Equal("completed", json.GetProperty("round").GetProperty("phase").GetString());
        var startedAt = json.GetProperty("round").GetProperty("startedAt").GetDateTimeOffset();
        Assert.True(startedAt > DateTimeOffset.UtcNow.AddHours(-1) && startedAt <= DateTimeOffset.UtcNow, $"a completed round's status says it started at {startedAt:O}");
        var steps = json.GetProperty("round").GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(["clm", "evt", "ckpt"], steps.Select(s => s.GetProperty("service").GetString()!).ToArray());
        Assert.All(steps, s => Assert.True(s.GetProperty("processCalls").GetInt64() >= 2));
        Assert.True(json.GetProperty("round").GetProperty("pending").GetArrayLength() == 0);
        Assert.Equal(0, json.GetProperty("dropped").GetProperty("refused").GetInt64());
        Assert.Equal(3, json.GetProperty("services").GetArrayLength());
    }

    [Fact]
    public async Task History_lists_the_last_rounds_with_outcome_and_step_durations()
    {
        (await fixture.Run("processor", "join", "h1")).Succeeded();
        var epoch = await Settled();

        var text = (await fixture.Run("history", "--last", "1")).Succeeded().Output;
        Assert.Contains($"{epoch}", text);
        Assert.Contains("completed", text);
        Assert.Contains("join", text); // the reason column says why the epoch was made (issue 26 point 6)

        var json = (await fixture.Run("history", "--json")).Succeeded().Json();
        var last = json.EnumerateArray().Last();
        Assert.Equal(epoch, last.GetProperty("epoch").GetInt64());
        Assert.Equal("completed", last.GetProperty("outcome").GetString());
        Assert.Equal(3, last.GetProperty("steps").GetArrayLength());
        Assert.Equal("join", last.GetProperty("cause").GetString());
    }

    [Fact]
    public async Task Watch_shows_rounds_as_they_end()
    {
        var before = (await fixture.Configuration.GetConfiguration()).Epoch;
        var watch = fixture.Run("watch", "--since", before.ToString(), "--rounds", "1", "--interval", "20");
        (await fixture.Run("processor", "join", "w1", "w2")).Succeeded();

        var result = (await watch.WaitAsync(TimeSpan.FromSeconds(30))).Succeeded();
        Assert.Contains("completed", result.Output);
        Assert.Contains("with 2 members", result.Output);
    }

    [Fact]
    public async Task Watch_with_json_writes_one_json_line_per_round_and_nothing_else_on_standard_output()
    {
        var before = (await fixture.Configuration.GetConfiguration()).Epoch;
        var watch = fixture.Run("watch", "--json", "--since", before.ToString(), "--rounds", "1", "--interval", "20");
        (await fixture.Run("processor", "join", "wj1")).Succeeded();

        var result = (await watch.WaitAsync(TimeSpan.FromSeconds(30))).Succeeded();
        var line = Assert.Single(result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var round = System.Text.Json.JsonDocument.Parse(line);
        Assert.Equal(before + 1, round.RootElement.GetProperty("epoch").GetInt64());
        Assert.Equal("completed", round.RootElement.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Clm_view_shows_the_membership_as_one_processor_sees_it()
    {
        (await fixture.Run("processor", "join", "c1", "c2")).Succeeded();
        var epoch = await Settled();

        var text = (await fixture.Run("clm", "view", "-p", "c2")).Succeeded().Output;
        Assert.Contains($"view of epoch {epoch} as seen from c2", text);
        var json = (await fixture.Run("clm", "view", "--processor", "c1", "--json")).Succeeded().Json();
        Assert.Equal(["c1", "c2"], json.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("processor").GetString()!).ToArray());
    }

    [Fact]
    public async Task Evt_commands_open_publish_subscribe_list_and_close_through_chosen_processors()
    {
        (await fixture.Run("processor", "join", "e1", "e2")).Succeeded();
        await Settled();
        var payload = Path.GetTempFileName();
        await File.WriteAllTextAsync(payload, "from a file");

        (await fixture.Run("evt", "open", "alerts", "-p", "e1")).Succeeded();
        var published = (await fixture.Run("evt", "publish", "alerts", "-p", "e2", "--text", "disk full", "--retention", "30m", "--json")).Succeeded().Json();
        (await fixture.Run("evt", "publish", "alerts", "-p", "e1", "--file", payload)).Succeeded();
        (await fixture.Run("evt", "subscribe", "alerts", "-p", "e2")).Succeeded();

        var events = (await fixture.Run("evt", "list", "alerts", "-p", "e1", "--json")).Succeeded().Json().EnumerateArray().ToList();
        Assert.Equal(2, events.Count);
        Assert.Contains(events, e => e.GetProperty("id").GetString() == published.GetProperty("id").GetString());
        Assert.Contains("from a file", (await fixture.Run("evt", "list", "alerts", "-p", "e2")).Succeeded().Output);
        Assert.Contains("e2", (await fixture.Run("evt", "channels", "-p", "e1")).Succeeded().Output);

        (await fixture.Run("evt", "close", "alerts", "-p", "e2")).Succeeded();
        Assert.Equal(0, (await fixture.Run("evt", "channels", "-p", "e1", "--json")).Succeeded().Json().GetArrayLength());
    }

    [Fact]
    public async Task Ckpt_commands_create_write_read_list_and_delete_with_files()
    {
        (await fixture.Run("processor", "join", "k1", "k2")).Succeeded();
        await Settled();
        var input = Path.GetTempFileName();
        var output = Path.GetTempFileName();
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();
        await File.WriteAllBytesAsync(input, data);

        (await fixture.Run("ckpt", "create", "orders", "-p", "k1")).Succeeded();
        var written = (await fixture.Run("ckpt", "write", "orders", "body", "--file", input, "-p", "k2", "--json")).Succeeded().Json();
        Assert.Equal(data.Length, written.GetProperty("bytes").GetInt32());
        (await fixture.Run("ckpt", "write", "orders", "note", "--text", "hello", "-p", "k1")).Succeeded();

        (await fixture.Run("ckpt", "read", "orders", "body", "-p", "k1", "--out", output)).Succeeded();
        Assert.Equal(data, await File.ReadAllBytesAsync(output));
        Assert.Equal("hello", (await fixture.Run("ckpt", "read", "orders", "note", "-p", "k2")).Succeeded().Output.Trim());

        var list = (await fixture.Run("ckpt", "list", "-p", "k2", "--json")).Succeeded().Json().EnumerateArray().Single();
        Assert.Equal(2, list.GetProperty("sections").GetInt32());
        Assert.Equal(data.Length + 5, list.GetProperty("bytes").GetInt64());

        (await fixture.Run("ckpt", "delete", "orders", "-p", "k2")).Succeeded();
        Assert.Equal(0, (await fixture.Run("ckpt", "list", "-p", "k1", "--json")).Succeeded().Json().GetArrayLength());
    }

    [Fact]
    public async Task Bad_input_gives_one_clear_line_a_non_zero_exit_and_changes_nothing()
    {
        (await fixture.Run("processor", "join", "b1")).Succeeded();
        var epoch = await Settled();

        (await fixture.Run("no-such-command")).FailedWith(ExitCodes.BadInput, "no-such-command");
        (await fixture.Run("status", "--no-such-option")).FailedWith(ExitCodes.BadInput, "--no-such-option");
        (await fixture.Run("processor", "join")).FailedWith(ExitCodes.BadInput, "Required argument missing");
        (await fixture.Run("processor", "join", "bad id")).FailedWith(ExitCodes.BadInput, "not a valid processor id");
        (await fixture.Run("processor", "leave", "nobody")).FailedWith(ExitCodes.BadInput, "not a member of epoch");
        (await fixture.Run("processor", "fail", "b1", "nobody")).FailedWith(ExitCodes.BadInput, "nobody");
        (await fixture.Run("clm", "view", "-p", "nobody")).FailedWith(ExitCodes.BadInput, "unknown processor 'nobody'");
        (await fixture.Run("evt", "publish", "x", "-p", "b1")).FailedWith(ExitCodes.BadInput, "exactly one of --text or --file");
        (await fixture.Run("evt", "publish", "x", "-p", "b1", "--text", "t")).FailedWith(ExitCodes.BadInput, "No open channel named 'x'");
        (await fixture.Run("evt", "publish", "x", "-p", "b1", "--text", "t", "--retention", "soon")).FailedWith(ExitCodes.BadInput, "not a duration");
        (await fixture.Run("ckpt", "write", "c", "s", "-p", "b1", "--file", "/no/such/file")).FailedWith(ExitCodes.BadInput, "cannot read file");
        (await fixture.Run("ckpt", "read", "c", "s", "-p", "b1")).FailedWith(ExitCodes.BadInput, "No checkpoint named 'c'");
        (await fixture.Run("ckpt", "create", "bad/name", "-p", "b1")).FailedWith(ExitCodes.BadInput, "not a valid checkpoint name");
        (await fixture.Run("history", "--last", "0")).FailedWith(ExitCodes.BadInput, "--last");

        Assert.Equal(epoch, (await fixture.Configuration.GetConfiguration()).Epoch);
        Assert.Empty(await fixture.Cluster.Client.GetGrain<Resync.Reference.ICkptService>("b1").List());
    }

    [Fact]
    public async Task An_unreachable_cluster_gives_one_line_naming_what_was_tried_and_exit_3()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var port = SiloProcess.FreePort();

        var exit = await ResyncCli.RunAsync(["status", "--gateway-port", port.ToString()], output, error);

        Assert.Equal(ExitCodes.Unreachable, exit);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"nothing listens at 127.0.0.1:{port}", line);
    }

    [Fact]
    public async Task An_unreachable_database_is_named_as_the_database_not_as_a_missing_cluster()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var port = SiloProcess.FreePort();

        var exit = await ResyncCli.RunAsync(
            ["--clustering", "postgres", "--connection-string", $"Host=127.0.0.1;Port={port};Username=postgres;Database=resync;Timeout=2", "status"], output, error);

        Assert.Equal(ExitCodes.Unreachable, exit);
        var line = Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"cannot reach the PostgreSQL database at 127.0.0.1:{port}/resync", line);
    }

    [Fact]
    public async Task Every_command_answers_help()
    {
        string[][] commands = [[], ["status"], ["watch"], ["history"], ["demo"], ["processor", "join"], ["processor", "leave"], ["processor", "fail"],
            ["clm", "view"], ["evt", "open"], ["evt", "close"], ["evt", "publish"], ["evt", "subscribe"], ["evt", "list"], ["evt", "channels"],
            ["ckpt", "create"], ["ckpt", "write"], ["ckpt", "read"], ["ckpt", "list"], ["ckpt", "delete"]];
        foreach (var command in commands)
        {
            using var output = new StringWriter();
            using var error = new StringWriter();
            Assert.Equal(0, await ResyncCli.RunAsync([.. command, "--help"], output, error));
            Assert.Contains("Usage:", output.ToString());
        }
    }

}
