using System.Globalization;

namespace Resync.Client.Output;

/// <summary>Plain text renderings of the engine's records, one idea per line.</summary>
public static class TextOutput
{
    public static string Ms(TimeSpan duration) => string.Create(CultureInfo.InvariantCulture, $"{duration.TotalMilliseconds:F1} ms");

    public static string Members(ImmutableArray<string> members) => members.IsEmpty ? "(none)" : string.Join(" ", members);

    /// <summary>Each step's duration, and its process calls where some member needed more than one.</summary>
    public static string Steps(ImmutableArray<StepTiming> steps, int members) =>
        string.Join(", ", steps.Select(s => $"{s.Service} {Ms(s.BarrierWait + s.Processing)}{(s.ProcessCalls > members ? $" ({Calls(s.ProcessCalls)})" : "")}"));

    public static string Calls(long calls) => calls == 1 ? "1 process call" : $"{calls} process calls";

    public static string Round(RoundSummary round) => round.Outcome == RoundPhase.Completed
        ? $"epoch {round.Epoch} completed in {Ms(round.Duration)} with {round.Members} members [{Steps(round.Steps, round.Members)}]"
        : $"epoch {round.Epoch} aborted after {Ms(round.Duration)}{(round.Steps.IsEmpty ? "" : $" ({string.Join(", ", round.Steps.Select(s => s.Service))} done)")}: {round.AbortReason}";

    public static void WriteStatus(TextWriter output, ResyncStatus status, bool rich)
    {
        var configuration = status.Configuration;
        output.WriteLine($"epoch     {configuration.Epoch}");
        output.WriteLine($"members   {configuration.Members.Length}: {Members(configuration.Members)}");
        output.WriteLine($"survivors {configuration.Survivors.Length}: {Members(configuration.Survivors)}");
        output.WriteLine($"services  {Members(status.Services)}");
        if (status.SiloServices.Values.Any(services => !services.SequenceEqual(status.Services)))
        {
            // A rolling upgrade: the silos do not all have every service.
            foreach (var (silo, services) in status.SiloServices.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                output.WriteLine($"  silo {silo}: {Members(services)}");
            }
        }

        if (status.Round is { } round)
        {
            var where = round.Phase is RoundPhase.Barrier or RoundPhase.Processing or RoundPhase.Activating
                ? $" at step {round.Step} ({round.Service}), waiting for {Members(round.Pending)}"
                : "";
            output.WriteLine($"round     {round.Phase.ToString().ToLowerInvariant()}{where}, {Ms(round.Elapsed)}{(round.AbortReason is null ? "" : $": {round.AbortReason}")}");
            Terminal.Table(output, rich, ["step", "service", "barrier", "processing", "process calls"],
                round.Steps.Select(step => new[] { step.Step.ToString(), step.Service, Ms(step.BarrierWait), Ms(step.Processing), step.ProcessCalls.ToString() }));
            foreach (var lack in round.Lacking)
            {
                output.WriteLine($"without   {lack.Service}: {Members(lack.Processors)} (their silos lack it; they take part in its step without a replica)");
            }
        }
        else
        {
            output.WriteLine("round     none yet");
        }

        output.WriteLine($"dropped   stale {status.Dropped.Stale}, refused {status.Dropped.Refused}, duplicate {status.Dropped.Duplicate}");
    }
}
