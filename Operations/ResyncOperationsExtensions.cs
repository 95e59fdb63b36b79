using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Orleans.Dashboard;
using Orleans.Hosting;
using Resync.Operations.Dashboard;
using Resync.Operations.Health;
using Resync.Operations.Telemetry;

namespace Resync.Operations;

/// <summary>
/// A Resync silo's HTTP face for operators, on the host's own web server: /health/live and /health/ready, Prometheus
/// metrics at /metrics, OpenTelemetry over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, and, when
/// <see cref="ResyncOperationsOptions.Dashboard"/> is on, the live dashboard at /dashboard/ and the Orleans Dashboard
/// at /orleans/.
/// </summary>
public static class ResyncOperationsExtensions
{
    private const string LiveTag = "live";
    private const string ReadyTag = "ready";

    /// <summary>The paths served, listed in the answer to a path that is none of them.</summary>
    public static readonly IReadOnlyList<string> Paths = ["/health/live", "/health/ready", "/metrics", "/dashboard/", "/dashboard/api/snapshot", "/dashboard/api/events", "/orleans/"];

    /// <summary>
    /// Adds the services: health checks, the OpenTelemetry SDK, and the dashboards when chosen (section
    /// "Resync:Operations" of the host's configuration, then <paramref name="configure"/>). Call before the silo's
    /// <c>UseOrleans</c> configuration runs, with <paramref name="silo"/> the same silo builder.
    /// </summary>
    public static ISiloBuilder AddResyncOperations(this ISiloBuilder silo, IHostApplicationBuilder host, Action<ResyncOperationsOptions>? configure = null)
    {
        var options = new ResyncOperationsOptions();
        host.Configuration.GetSection(ResyncOperationsOptions.SectionName).Bind(options);
        configure?.Invoke(options);
        silo.Services.AddOptions<ResyncOperationsOptions>()
            .BindConfiguration(ResyncOperationsOptions.SectionName)
            .Configure(o => configure?.Invoke(o))
            .Validate(o => o.DashboardRefresh > TimeSpan.Zero && o.DashboardHeartbeat > TimeSpan.Zero && o.StatusTimeout > TimeSpan.Zero,
                "Resync:Operations: DashboardRefresh, DashboardHeartbeat and StatusTimeout must be positive")
            .Validate(o => o.DashboardHistory is >= 1 and <= ResyncOperationsOptions.MaxHistory,
                $"Resync:Operations:DashboardHistory must be from 1 to {ResyncOperationsOptions.MaxHistory}")
            .ValidateOnStart();
        silo.Services.AddSingleton<DashboardFeed>();
        silo.Services.AddHealthChecks()
            .AddCheck<LivenessCheck>("silo", tags: [LiveTag])
            .AddCheck<ReadinessCheck>("resync", tags: [ReadyTag]);
        ResyncTelemetry.Add(host, Environment.MachineName + ":" + Environment.ProcessId);
        if (ResyncTelemetry.Exports(host.Configuration))
        {
            // Grain calls carry the trace, so a round over several silos is one trace.
            silo.AddActivityPropagation();
        }

        if (options.Dashboard)
        {
            silo.AddDashboard();
        }

        return silo;
    }

    /// <summary>Maps the endpoints of <see cref="AddResyncOperations"/>, and answers every other path with 404 and the list of paths.</summary>
    public static IEndpointRouteBuilder MapResyncOperations(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/health/live", Probe(LiveTag));
        endpoints.MapHealthChecks("/health/ready", Probe(ReadyTag));
        endpoints.MapPrometheusScrapingEndpoint();
        var dashboard = endpoints.ServiceProvider.GetRequiredService<IOptions<ResyncOperationsOptions>>().Value.Dashboard;
        if (dashboard)
        {
            DashboardEndpoints.Map(endpoints);
            endpoints.MapOrleansDashboard("/orleans");
            endpoints.MapGet("/", () => Results.Redirect($"{DashboardEndpoints.Path}/"));
        }

        var served = dashboard ? Paths : Paths.Where(p => !p.StartsWith(DashboardEndpoints.Path, StringComparison.Ordinal) && p != "/orleans/").ToList();
        // Every path, files too ("{*path:nonfile}", the default, leaves /favicon.ico to an empty 404).
        endpoints.MapFallback("{*path}", (HttpContext context) => Results.Json(
            new { error = $"no such endpoint: {context.Request.Method} {context.Request.Path}", endpoints = served },
            JsonSerializerOptions.Web,
            statusCode: StatusCodes.Status404NotFound));
        LogAddressesWhenStarted(endpoints.ServiceProvider, dashboard);
        return endpoints;
    }

    private static void LogAddressesWhenStarted(IServiceProvider services, bool dashboard)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ResyncOperationsExtensions).FullName!);
        services.GetRequiredService<IHostApplicationLifetime>().ApplicationStarted.Register(() =>
        {
            var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            OperationsLog.Serving(logger, string.Join(" ", addresses), dashboard ? ", dashboard at /dashboard/, Orleans Dashboard at /orleans/" : "");
        });
    }

    private static HealthCheckOptions Probe(string tag) => new()
    {
        Predicate = check => check.Tags.Contains(tag),
        ResponseWriter = HealthResponse.WriteAsync,
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = StatusCodes.Status200OK,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
    };
}
