namespace Resync.Testing;

/// <summary>What one scenario of the battery found.</summary>
/// <param name="Scenario">What the scenario did.</param>
/// <param name="Violations">Each violation, naming its epoch, processor and callbacks; empty if the service conformed.</param>
/// <param name="Log">The scenario's callback log, in order, when it had violations.</param>
public sealed record ScenarioResult(string Scenario, ImmutableArray<string> Violations, ImmutableArray<CallbackEntry> Log)
{
    /// <summary>What the scenario reached and what it could not, for the reader (a service whose process waits for every member never leaves them done and waiting, for one).</summary>
    public ImmutableArray<string> Notes { get; init; } = [];
}

/// <summary>The result of the conformance battery against one service.</summary>
/// <param name="Service">The service that was tested.</param>
/// <param name="Seed">The seed of the run's random choices.</param>
/// <param name="Scenarios">Every scenario that ran, in order.</param>
public sealed record ConformanceReport(string Service, int Seed, ImmutableArray<ScenarioResult> Scenarios)
{
    /// <summary>Whether no scenario found a violation.</summary>
    public bool Conforms => Scenarios.All(s => s.Violations.IsEmpty);

    /// <summary>Throws <see cref="ConformanceException"/> with this report unless the service conformed.</summary>
    public void ThrowIfViolated()
    {
        if (!Conforms)
        {
            throw new ConformanceException(this);
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var lines = new List<string> { $"conformance of '{Service}' (seed {Seed}): {Scenarios.Count(s => s.Violations.IsEmpty)} of {Scenarios.Length} scenarios conform" };
        foreach (var scenario in Scenarios)
        {
            lines.Add($"{(scenario.Violations.IsEmpty ? "ok  " : "FAIL")} {scenario.Scenario}");
            lines.AddRange(scenario.Notes.Select(n => $"     note: {n}"));
            lines.AddRange(scenario.Violations.Select(v => $"     {v}"));
            if (!scenario.Violations.IsEmpty)
            {
                lines.Add("     callbacks:");
                lines.AddRange(scenario.Log.Select(e => $"       {e}"));
            }
        }

        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>A service broke the contract in the conformance battery; the message is the whole report.</summary>
/// <param name="report">The report whose violations the exception carries.</param>
public sealed class ConformanceException(ConformanceReport report) : Exception(report.ToString())
{
    /// <summary>The report.</summary>
    public ConformanceReport Report { get; } = report;
}
