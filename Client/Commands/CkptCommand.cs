using System.CommandLine;
using Resync.Client.Output;
using Resync.Reference;

namespace Resync.Client.Commands;

/// <summary>ckpt create|write|read|list|delete, each through a chosen processor, with file input and output for sections.</summary>
internal static class CkptCommand
{
    public static Command Create(ResyncCli cli)
    {
        var name = new Argument<string>("checkpoint") { Description = "The checkpoint name." };
        var section = new Argument<string>("section") { Description = "The section name." };
        var command = new Command("ckpt", "The checkpoint service: named checkpoints of sections.");

        command.Subcommands.Add(Versioned(cli, "create", "Create an empty checkpoint.", name, (ckpt, n) => ckpt.Create(n), "created"));
        command.Subcommands.Add(Versioned(cli, "delete", "Delete a checkpoint.", name, (ckpt, n) => ckpt.Delete(n), "deleted"));

        var text = new Option<string>("--text") { Description = "The section data, as UTF-8 text." };
        var file = new Option<FileInfo>("--file") { Description = "Read the section data from a file." };
        var write = new Command("write", "Write one section; acknowledged once every member applied it.");
        write.Arguments.Add(name);
        write.Arguments.Add(section);
        write.Options.Add(ResyncCli.Processor);
        write.Options.Add(text);
        write.Options.Add(file);
        write.Options.Add(ResyncCli.Json);
        write.SetAction((parse, cancellationToken) => cli.WithClusterAsync(parse, cancellationToken, async client =>
        {
            var data = Payload.Read(parse.GetValue(text), parse.GetValue(file));
            var processor = await ResyncCli.MemberAsync(client, parse);
            var version = await client.GetGrain<ICkptService>(processor).Write(parse.GetValue(name)!, parse.GetValue(section)!, data);
            cli.Write(parse, new { checkpoint = parse.GetValue(name), section = parse.GetValue(section), bytes = data.Length, version }, () =>
                cli.Output.WriteLine($"wrote {data.Length} bytes to {parse.GetValue(name)}/{parse.GetValue(section)} through {processor}: version {version}"));
            return ExitCodes.Success;
        }));
        command.Subcommands.Add(write);

        var output = new Option<FileInfo>("--out") { Description = "Write the section data to a file instead of showing it." };
        var read = new Command("read", "Read one section from the last activated state.");
        read.Arguments.Add(name);
        read.Arguments.Add(section);
        read.Options.Add(ResyncCli.Processor);
        read.Options.Add(output);
        read.SetAction((parse, cancellationToken) => cli.WithClusterAsync(parse, cancellationToken, async client =>
        {
            var processor = await ResyncCli.MemberAsync(client, parse);
            var data = await client.GetGrain<ICkptService>(processor).Read(parse.GetValue(name)!, parse.GetValue(section)!);
            if (parse.GetValue(output) is { } file)
            {
                Payload.Write(file, data);
                cli.Output.WriteLine($"wrote {data.Length} bytes to {file.FullName}");
            }
            else
            {
                cli.Output.WriteLine(Payload.Show(data));
            }

            return ExitCodes.Success;
        }));
        command.Subcommands.Add(read);

        var list = new Command("list", "The checkpoints with their versions, sections and sizes.");
        list.Options.Add(ResyncCli.Processor);
        list.Options.Add(ResyncCli.Json);
        list.SetAction((parse, cancellationToken) => cli.WithClusterAsync(parse, cancellationToken, async client =>
        {
            var processor = await ResyncCli.MemberAsync(client, parse);
            var checkpoints = await client.GetGrain<ICkptService>(processor).List();
            cli.Write(parse, checkpoints, () => Terminal.Table(cli.Output, cli.IsRich(parse), ["checkpoint", "version", "sections", "bytes"],
                checkpoints.Select(c => new[] { c.Name, c.Version.ToString(), c.Sections.ToString(), c.Bytes.ToString() })));
            return ExitCodes.Success;
        }));
        command.Subcommands.Add(list);
        return command;
    }

    private static Command Versioned(ResyncCli cli, string verb, string description, Argument<string> name, Func<ICkptService, string, Task<ItemVersion>> act, string done)
    {
        var command = new Command(verb, description);
        command.Arguments.Add(name);
        command.Options.Add(ResyncCli.Processor);
        command.Options.Add(ResyncCli.Json);
        command.SetAction((parse, cancellationToken) => cli.WithClusterAsync(parse, cancellationToken, async client =>
        {
            var processor = await ResyncCli.MemberAsync(client, parse);
            var version = await act(client.GetGrain<ICkptService>(processor), parse.GetValue(name)!);
            cli.Write(parse, new { checkpoint = parse.GetValue(name), version }, () =>
                cli.Output.WriteLine($"{done} {parse.GetValue(name)} through {processor}: version {version}"));
            return ExitCodes.Success;
        }));
        return command;
    }
}
