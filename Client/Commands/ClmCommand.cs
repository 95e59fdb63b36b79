using System.CommandLine;
using Resync.Client.Output;
using Resync.Reference;

namespace Resync.Client.Commands;

internal static class ClmCommand
{
    public static Command Create(ResyncCli cli)
    {
        var view = new Command("view", "The membership view as one processor sees it.");
        view.Options.Add(ResyncCli.Processor);
        view.Options.Add(ResyncCli.Json);
        view.SetAction((parse, cancellationToken) => cli.WithClusterAsync(parse, cancellationToken, async client =>
        {
            var processor = await ResyncCli.MemberAsync(client, parse);
            var clm = await client.GetGrain<IClmService>(processor).GetView();
            cli.Write(parse, clm, () =>
            {
                cli.Output.WriteLine($"view of epoch {clm.Epoch} as seen from {processor}:");
                Terminal.Table(cli.Output, cli.IsRich(parse), ["processor", "name", "joined in epoch", "address"],
                    clm.Members.Select(m => new[] { m.Processor, m.Name, m.JoinedEpoch.ToString(), m.Address }));
            });
            return ExitCodes.Success;
        }));

        var command = new Command("clm", "The cluster membership service.");
        command.Subcommands.Add(view);
        return command;
    }
}
