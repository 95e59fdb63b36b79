using System.CommandLine;
using Resync.Client.Output;

namespace Resync.Client.Commands;

/// <summary>processor join|leave|fail: change the membership of logical processors, several at once.</summary>
internal static class ProcessorCommand
{
    public static Command Create(ResyncCli cli)
    {
        var command = new Command("processor", "Join, leave or fail logical processors.");
        command.Subcommands.Add(Change(cli, "join", "Add processors to the configuration.", (g, p) => g.Join(p), mustBeMembers: false));
        command.Subcommands.Add(Change(cli, "leave", "Remove processors; they keep their replicas, as a partitioned node would.", (g, p) => g.Leave(p), mustBeMembers: true));
        command.Subcommands.Add(Change(cli, "fail", "Remove processors and drop their replicas, as a crash would.", (g, p) => g.Fail(p), mustBeMembers: true));
        return command;
    }

    private static Command Change(
        ResyncCli cli, string name, string description,
        Func<IConfigurationGrain, ImmutableArray<string>, Task<ConfigurationChange>> change, bool mustBeMembers)
    {
        var processors = new Argument<string[]>("processors") { Description = "Processor ids.", Arity = ArgumentArity.OneOrMore };
        var command = new Command(name, description);
        command.Arguments.Add(processors);
        command.Options.Add(ResyncCli.Json);
        command.SetAction((parse, cancellationToken) => cli.WithClusterAsync(parse, cancellationToken, async client =>
        {
            var ids = parse.GetValue(processors)!.ToImmutableArray();
            foreach (var id in ids)
            {
                ProcessorId.Validate(id);
            }

            if (mustBeMembers)
            {
                await ResyncCli.RequireMembersAsync(client, ids);
            }

            var configuration = client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);

            var result = await change(configuration, ids);
            cli.Write(parse, result, () => cli.Output.WriteLine(result.Changed
                ? $"epoch {result.Configuration.Epoch}: members {TextOutput.Members(result.Configuration.Members)}"
                : $"no change: epoch stays {result.Configuration.Epoch}, members {TextOutput.Members(result.Configuration.Members)}"));

            return ExitCodes.Success;
        }));
        return command;
    }
}
