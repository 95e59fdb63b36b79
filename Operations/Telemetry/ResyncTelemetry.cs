using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Resync.Diagnostics;

namespace Resync.Operations.Telemetry;

/// <summary>
/// The OpenTelemetry SDK on a silo: Resync's meter, Orleans' and the runtime's, always scrapeable at /metrics; and,
/// when the standard OTEL_EXPORTER_OTLP_ENDPOINT is set, metrics and traces (Resync's rounds and Orleans' grain
/// calls, which carry the trace between silos) exported over OTLP. Without an endpoint no span is recorded at all.
/// </summary>
internal static class ResyncTelemetry
{
    /// <summary>The standard variable of the OTLP exporter's endpoint.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Orleans' meter.</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>The activity sources a round's trace is made of: Resync's, and Orleans' application grain calls that carry it.</summary>
    public static readonly string[] TraceSources = [ResyncDiagnostics.ActivitySourceName, "Microsoft.Orleans.Application"];

    public static bool Exports(IConfiguration configuration) => !string.IsNullOrWhiteSpace(configuration[OtlpEndpointVariable]);

    public static void Add(IHostApplicationBuilder builder, string serviceInstance)
    {
        // Metrics and traces over OTLP, each on its own: the all-signals UseOtlpExporter would export the logs too.
        var exports = Exports(builder.Configuration);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("resync-silo", serviceInstanceId: serviceInstance))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(ResyncDiagnostics.MeterName, OrleansMeter).AddRuntimeInstrumentation().AddPrometheusExporter();
                if (exports)
                {
                    metrics.AddOtlpExporter();
                }
            });
        if (exports)
        {
            telemetry.WithTracing(tracing => tracing.AddSource(TraceSources).SetSampler(RoundSampler.Instance).AddOtlpExporter());
        }
    }
}
