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
            cli.Write(parse, status, () => TextOutput.WriteStatus(cli.Output, status, cli.IsRich(parse)));
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
            cli.Write(parse, rounds, () => Terminal.Table(cli.Output, cli.IsRich(parse), ["epoch", "outcome", "members", "duration", "steps", "reason"],
                rounds.Select(r => new[]
                {
                    r.Epoch.ToString(), r.Outcome.ToString().ToLowerInvariant(), r.Members.ToString(), TextOutput.Ms(r.Duration),
                    TextOutput.Steps(r.Steps, r.Members), r.AbortReason ?? r.Cause ?? "",
                })));
            return ExitCodes.Success;
        }));
        return command;
    }
}
