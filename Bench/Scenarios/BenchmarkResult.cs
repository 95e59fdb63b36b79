using System.Text.Json.Serialization;

namespace Resync.Bench.Scenarios;

/// <summary>One scenario's figures, as the JSON file and the table show them; a figure a scenario does not measure is null.</summary>
public sealed record BenchmarkResult(
    [property: JsonPropertyName("scenario")] string Scenario,
    [property: JsonPropertyName("silos")] int Silos,
    [property: JsonPropertyName("processors")] int Processors,
    [property: JsonPropertyName("services")] int Services,
    [property: JsonPropertyName("runs")] int Runs,
    [property: JsonPropertyName("p50_ms")] double? P50Ms,
    [property: JsonPropertyName("p95_ms")] double? P95Ms,
    [property: JsonPropertyName("lower_bound_ms")] double? LowerBoundMs,
    [property: JsonPropertyName("ratio")] double? Ratio,
    [property: JsonPropertyName("extra")] IReadOnlyDictionary<string, double> Extra)
{
    public static BenchmarkResult FromSamples(
        string scenario, int silos, int processors, int services, IReadOnlyCollection<double> samples,
        double? lowerBoundMs, IReadOnlyDictionary<string, double> extra)
    {
        var p50 = Stats.Percentile(samples, 50);
        return new BenchmarkResult(
            scenario, silos, processors, services, samples.Count, Round(p50), Round(Stats.Percentile(samples, 95)),
            lowerBoundMs is { } bound ? Round(bound) : null,
            lowerBoundMs is { } b && b > 0 ? Math.Round(p50 / b, 2) : null,
            extra.ToDictionary(e => e.Key, e => Round(e.Value)));
    }

    private static double Round(double value) => Math.Round(value, 3);
}
