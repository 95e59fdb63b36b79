using System.CommandLine;
using Resync.Client.Output;
using Resync.Reference;

namespace Resync.Client.Commands;

internal static class ClmCommand
{
    public static readonly Option<string> Processor = new("--processor", "-p") { Description = "The processor to ask.", Required = true };

    public static Command Create(ResyncCli cli)
    {
        var view = new Command("view", "The membership view as one processor sees it.");
        view.Options.Add(Processor);
        view.Options.Add(ResyncCli.Json);
        view.SetAction((parse, cancellationToken) => cli.WithClusterAsync(parse, cancellationToken, async client =>
        {
            var processor = await RequireMemberAsync(client, parse.GetValue(Processor));
            var clm = await client.GetGrain<IClmService>(processor).GetView();
            if (parse.GetValue(ResyncCli.Json))
            {
                cli.Output.WriteLine(JsonOutput.Serialize(clm));
                return ExitCodes.Success;
            }

            cli.Output.WriteLine($"view of epoch {clm.Epoch} as seen from {processor}:");
            foreach (var member in clm.Members)
            {
                cli.Output.WriteLine($"  {member.Processor,-12} joined in epoch {member.JoinedEpoch,-6} at {member.Address}");
            }

            return ExitCodes.Success;
        }));

        var command = new Command("clm", "The cluster membership service.");
        command.Subcommands.Add(view);
        return command;
    }

    /// <summary>Refuses a processor that is not a member of the current configuration.</summary>
    public static async Task<string> RequireMemberAsync(IClusterClient client, string? processor)
    {
        ProcessorId.Validate(processor);
        var configuration = await client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key).GetConfiguration();
        return configuration.IsMember(processor!)
            ? processor!
            : throw new UserErrorException($"unknown processor '{processor}': not a member of epoch {configuration.Epoch} (members: {TextOutput.Members(configuration.Members)})");
    }
}
