using System.CommandLine;
using Resync.Client.Output;

namespace Resync.Client.Commands;

internal static class StatusCommand
{
    public static Command Create(ResyncCli cli)
    {
        var command = new Command("status", "Epoch, members, round phase, current step and service, who the barrier waits for, step durations, dropped traffic.");
        command.Options.Add(ResyncCli.Json);
        command.SetAction((parse, cancellationToken) => cli.WithClusterAsync(parse, cancellationToken, async client =>
        {
            var status = await client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key).GetStatus();
            if (parse.GetValue(ResyncCli.Json))
            {
                cli.Output.WriteLine(JsonOutput.Serialize(status));
            }
            else
            {
                TextOutput.WriteStatus(cli.Output, status);
            }

            return ExitCodes.Success;
        }));
        return command;
    }
}

internal static class HistoryCommand
{
    public static Command Create(ResyncCli cli)
    {
        var limit = new Option<int>("--last") { Description = "How many rounds to show.", DefaultValueFactory = _ => 20 };
        var command = new Command("history", "The last rounds: epoch, outcome (completed, or aborted and why), duration per step.");
        command.Options.Add(limit);
        command.Options.Add(ResyncCli.Json);
        command.SetAction((parse, cancellationToken) => cli.WithClusterAsync(parse, cancellationToken, async client =>
        {
            var count = parse.GetValue(limit);
            if (count < 1)
            {
                throw new UserErrorException("--last must be at least 1.");
            }

            var rounds = (await client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key).GetHistory()).TakeLast(count).ToList();
            if (parse.GetValue(ResyncCli.Json))
            {
                cli.Output.WriteLine(JsonOutput.Serialize(rounds));
            }
            else
            {
                rounds.ForEach(round => cli.Output.WriteLine(TextOutput.Round(round)));
            }

            return ExitCodes.Success;
        }));
        return command;
    }
}
