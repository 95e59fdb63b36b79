using System.CommandLine;
using System.Text;
using Resync.Client.Output;
using Resync.Reference;

namespace Resync.Client.Commands;

/// <summary>evt open|close|publish|subscribe|list|channels, each through a chosen processor.</summary>
internal static class EvtCommand
{
    public static Command Create(ResyncCli cli)
    {
        var channel = new Argument<string>("channel") { Description = "The channel name." };
        var command = new Command("evt", "The event service: channels, retained events, subscriptions.");

        command.Subcommands.Add(Simple(cli, "open", "Open a channel.", channel, (evt, name) => evt.OpenChannel(name), "opened"));
        command.Subcommands.Add(Simple(cli, "close", "Close a channel and drop its retained events.", channel, (evt, name) => evt.CloseChannel(name), "closed"));
        command.Subcommands.Add(Simple(cli, "subscribe", "Subscribe the processor to a channel.", channel, (evt, name) => evt.Subscribe(name), "subscribed to"));

        var text = new Option<string>("--text") { Description = "The event payload, as UTF-8 text." };
        var file = new Option<FileInfo>("--file") { Description = "Read the event payload from a file." };
        var retention = new Option<string>("--retention") { Description = "How long the event is retained: 90s, 30m, 2h, 1d, or hh:mm:ss.", DefaultValueFactory = _ => "1h" };
        var publish = new Command("publish", "Publish an event; acknowledged once every member holds it.");
        publish.Arguments.Add(channel);
        publish.Options.Add(ResyncCli.Processor);
        publish.Options.Add(text);
        publish.Options.Add(file);
        publish.Options.Add(retention);
        publish.Options.Add(ResyncCli.Json);
        publish.SetAction((parse, cancellationToken) => cli.WithClusterAsync(parse, cancellationToken, async client =>
        {
            var payload = Payload.Read(parse.GetValue(text), parse.GetValue(file));
            var keep = Payload.Duration(parse.GetValue(retention)!);
            var processor = await ResyncCli.MemberAsync(client, parse);
            var id = await client.GetGrain<IEvtService>(processor).Publish(parse.GetValue(channel)!, payload, keep);
            cli.Write(parse, new { id, channel = parse.GetValue(channel), bytes = payload.Length }, () =>
                cli.Output.WriteLine($"published {id} ({payload.Length} bytes) on {parse.GetValue(channel)} through {processor}"));
            return ExitCodes.Success;
        }));
        command.Subcommands.Add(publish);

        var list = new Command("list", "The retained events of a channel, oldest first.");
        list.Arguments.Add(channel);
        list.Options.Add(ResyncCli.Processor);
        list.Options.Add(ResyncCli.Json);
        list.SetAction((parse, cancellationToken) => cli.WithClusterAsync(parse, cancellationToken, async client =>
        {
            var processor = await ResyncCli.MemberAsync(client, parse);
            var events = await client.GetGrain<IEvtService>(processor).ListEvents(parse.GetValue(channel)!);
            cli.Write(parse, events, () => Terminal.Table(cli.Output, cli.IsRich(parse), ["id", "published", "by", "expires", "payload"],
                events.Select(e => new[] { e.Id, e.PublishedAt.ToString("u"), e.Publisher, e.Expiry.ToString("u"), Payload.Show(e.Payload) })));
            return ExitCodes.Success;
        }));
        command.Subcommands.Add(list);

        var channels = new Command("channels", "The open channels, with retained events and subscribers.");
        channels.Options.Add(ResyncCli.Processor);
        channels.Options.Add(ResyncCli.Json);
        channels.SetAction((parse, cancellationToken) => cli.WithClusterAsync(parse, cancellationToken, async client =>
        {
            var processor = await ResyncCli.MemberAsync(client, parse);
            var open = await client.GetGrain<IEvtService>(processor).ListChannels();
            cli.Write(parse, open, () => Terminal.Table(cli.Output, cli.IsRich(parse), ["channel", "version", "events", "subscribers"],
                open.Select(c => new[] { c.Name, c.Version.ToString(), c.RetainedEvents.ToString(), TextOutput.Members(c.Subscribers) })));
            return ExitCodes.Success;
        }));
        command.Subcommands.Add(channels);
        return command;
    }

    private static Command Simple(ResyncCli cli, string name, string description, Argument<string> channel, Func<IEvtService, string, Task> act, string done)
    {
        var command = new Command(name, description);
        command.Arguments.Add(channel);
        command.Options.Add(ResyncCli.Processor);
        command.SetAction((parse, cancellationToken) => cli.WithClusterAsync(parse, cancellationToken, async client =>
        {
            var processor = await ResyncCli.MemberAsync(client, parse);
            await act(client.GetGrain<IEvtService>(processor), parse.GetValue(channel)!);
            cli.Output.WriteLine($"{done} {parse.GetValue(channel)} through {processor}");
            return ExitCodes.Success;
        }));
        return command;
    }
}

/// <summary>Payloads and durations as they come from the command line.</summary>
internal static class Payload
{
    public static byte[] Read(string? text, FileInfo? file)
    {
        if ((text is null) == (file is null))
        {
            throw new UserErrorException("give the data with exactly one of --text or --file");
        }

        if (text is not null)
        {
            return Encoding.UTF8.GetBytes(text);
        }

        try
        {
            return File.ReadAllBytes(file!.FullName);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException($"cannot read file '{file!.FullName}': {exception.Message}");
        }
    }

    public static void Write(FileInfo file, byte[] data)
    {
        try
        {
            File.WriteAllBytes(file.FullName, data);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException($"cannot write file '{file.FullName}': {exception.Message}");
        }
    }

    /// <summary>Text if the bytes are printable UTF-8, else their length and first bytes in hex.</summary>
    public static string Show(byte[] data)
    {
        try
        {
            var text = new UTF8Encoding(false, true).GetString(data);
            if (text.All(c => !char.IsControl(c) || c is '\n' or '\t'))
            {
                return text;
            }
        }
        catch (DecoderFallbackException)
        {
        }

        return $"{data.Length} bytes: {Convert.ToHexStringLower(data.AsSpan(0, Math.Min(16, data.Length)))}{(data.Length > 16 ? "..." : "")}";
    }

    public static TimeSpan Duration(string value)
    {
        var units = new Dictionary<char, Func<double, TimeSpan>> { ['s'] = TimeSpan.FromSeconds, ['m'] = TimeSpan.FromMinutes, ['h'] = TimeSpan.FromHours, ['d'] = TimeSpan.FromDays };
        if (value.Length > 1 && units.TryGetValue(value[^1], out var unit) &&
            double.TryParse(value[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            return unit(amount);
        }

        return TimeSpan.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var parsed) && parsed > TimeSpan.Zero
            ? parsed
            : throw new UserErrorException($"'{value}' is not a duration: use 90s, 30m, 2h, 1d or hh:mm:ss");
    }
}
