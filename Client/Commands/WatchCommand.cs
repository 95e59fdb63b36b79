using System.CommandLine;
using Resync.Client.Output;
using Spectre.Console;

namespace Resync.Client.Commands;

/// <summary>watch: a live view of rounds as they happen, until interrupted (or until --rounds rounds have ended).</summary>
internal static class WatchCommand
{
    public static Command Create(ResyncCli cli)
    {
        var rounds = new Option<int>("--rounds") { Description = "Stop after this many rounds have ended (0: until interrupted).", DefaultValueFactory = _ => 0 };
        var interval = new Option<int>("--interval") { Description = "Refresh interval in milliseconds.", DefaultValueFactory = _ => 100 };
        var since = new Option<long?>("--since") { Description = "Show the rounds of epochs after this one, also those that already ended (default: from now on)." };
        var command = new Command("watch", "A live view of rounds: per service and per processor progress, and every round's outcome as it ends.");
        command.Options.Add(rounds);
        command.Options.Add(interval);
        command.Options.Add(since);
        command.Options.Add(ResyncCli.Json);
        command.SetAction((parse, cancellationToken) => cli.WithClusterAsync(parse, cancellationToken, async client =>
        {
            var limit = parse.GetValue(rounds);
            var refresh = parse.GetValue(interval);
            if (limit < 0 || refresh < 10)
            {
                throw new UserErrorException("--rounds must be 0 or more and --interval at least 10 ms");
            }

            var configuration = client.GetGrain<IConfigurationGrain>(IConfigurationGrain.Key);
            var rich = cli.IsRich(parse);
            // With --json, standard output carries one JSON line per ended round and nothing else; a lost connection is said on standard error.
            var json = parse.GetValue(ResyncCli.Json);
            var notes = json ? cli.Error : cli.Output;
            var shownThrough = parse.GetValue(since) ?? (await configuration.GetHistory()).Select(r => r.Epoch).DefaultIfEmpty(0).Max();
            var ended = 0;
            string? lastLine = null;
            var lost = false;
            if (!json)
            {
                cli.Output.WriteLine("watching rounds; press Ctrl+C to stop");
            }

            while (!cancellationToken.IsCancellationRequested && (limit == 0 || ended < limit))
            {
                try
                {
                    var status = json ? null : await configuration.GetStatus();
                    var history = await configuration.GetHistory();
                    if (lost)
                    {
                        notes.WriteLine("connected again; watching");
                        lost = false;
                    }

                    foreach (var round in history.Where(r => r.Epoch > shownThrough).OrderBy(r => r.Epoch))
                    {
                        if (json)
                        {
                            cli.Output.WriteLine(JsonOutput.SerializeLine(round));
                        }
                        else
                        {
                            Print(cli.Output, rich, round.Outcome == RoundPhase.Completed ? "green" : "yellow", TextOutput.Round(round));
                        }

                        shownThrough = round.Epoch;
                        ended++;
                    }

                    if (status?.Round is { Phase: not (RoundPhase.Completed or RoundPhase.Aborted) } live && Progress(status, live) is var line && line != lastLine)
                    {
                        Print(cli.Output, rich, "blue", line);
                        lastLine = line;
                    }
                }
                catch (Exception exception) when (!cancellationToken.IsCancellationRequested && exception is not UserErrorException)
                {
                    // A silo died under the watch (the gateway it talked to, or the one that held the configuration):
                    // said once, and the next refresh goes through the cluster's other gateways.
                    if (!lost)
                    {
                        notes.WriteLine($"lost the cluster's answer ({Lost(exception)}); retrying through its other gateways");
                        lost = true;
                    }
                }

                try
                {
                    await Task.Delay(refresh, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            return ExitCodes.Success;
        }));
        return command;
    }

    /// <summary>What a failed refresh says of the cluster, in words: a silo that died under the watch shows as one of the first two.</summary>
    private static string Lost(Exception exception) => exception switch
    {
        TimeoutException => $"no answer within {ClusterConnection.ResponseTimeout.TotalSeconds:F0} s",
        OrleansMessageRejectionException or SiloUnavailableException => "a silo it talked to is gone",
        _ => ResyncCli.FirstLine(exception),
    };

    /// <summary>epoch 7: clm ✓ 1.2 ms | evt ▶ processing | ckpt · — waiting for p3 p4</summary>
    public static string Progress(ResyncStatus status, RoundProgress round)
    {
        var services = status.Services.Select((service, step) =>
            step < round.Steps.Length ? $"{service} done {TextOutput.Ms(round.Steps[step].BarrierWait + round.Steps[step].Processing)}"
            : step == round.Step ? $"{service} {round.Phase.ToString().ToLowerInvariant()}"
            : $"{service} waiting");
        var pending = round.Pending.IsEmpty ? "" : $" - waiting for {TextOutput.Members(round.Pending)}";
        return $"epoch {round.Epoch} ({status.Configuration.Members.Length} members): {string.Join(" | ", services)}{pending}";
    }

    private static void Print(TextWriter output, bool rich, string colour, string line)
    {
        if (rich)
        {
            Terminal.AnsiFor(output).MarkupLine($"[{colour}]{Markup.Escape(line)}[/]");
        }
        else
        {
            output.WriteLine(line);
        }
    }
}
