using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Resync.Operations.Dashboard;

/// <summary>
/// The dashboard's routes: the page (one embedded file: its script and styles inline, nothing loaded from elsewhere),
/// a snapshot as JSON, and the live feed as server-sent events.
/// </summary>
internal static class DashboardEndpoints
{
    public const string Path = "/dashboard";

    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("resync-dashboard.html")
            ?? throw new InvalidOperationException("the dashboard page is not embedded in Resync.Operations");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        // Routing ignores a trailing slash, and the page's links are relative to "/dashboard/", so one route serves
        // the page there and sends "/dashboard" to it.
        endpoints.MapGet(Path, (HttpContext context) => context.Request.Path.Value!.EndsWith('/')
            ? Results.Bytes(Page.Value, "text/html; charset=utf-8")
            : Results.Redirect($"{Path}/"));
        endpoints.MapGet($"{Path}/api/snapshot", async (HttpContext context, DashboardFeed feed, IOptions<ResyncOperationsOptions> options) =>
        {
            if (HistoryAsked(context, options.Value) is not { } history)
            {
                return BadHistory(context);
            }

            try
            {
                return Results.Json(await feed.TakeAsync(history, context.RequestAborted), DashboardJson.Options);
            }
            catch (Exception exception) when (!context.RequestAborted.IsCancellationRequested)
            {
                return Results.Json(new { error = $"the cluster's status did not come: {exception.GetBaseException().Message}" }, DashboardJson.Options, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
        endpoints.MapGet($"{Path}/api/events", async (HttpContext context, DashboardFeed feed, IOptions<ResyncOperationsOptions> options) =>
        {
            if (HistoryAsked(context, options.Value) is not { } history)
            {
                await BadHistory(context).ExecuteAsync(context);
                return;
            }

            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.Body.FlushAsync(context.RequestAborted);
            try
            {
                await feed.StreamAsync(async (name, data) =>
                {
                    await context.Response.WriteAsync($"event: {name}\ndata: {data}\n\n", context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                }, history, context.RequestAborted);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The page went.
            }
        });
    }

    /// <summary>The query's "history" (how many ended rounds), the default when absent, or null when it is not a number in range.</summary>
    private static int? HistoryAsked(HttpContext context, ResyncOperationsOptions options)
    {
        if (!context.Request.Query.TryGetValue("history", out var values))
        {
            return options.DashboardHistory;
        }

        return int.TryParse(values.ToString(), out var history) && history is >= 1 and <= ResyncOperationsOptions.MaxHistory ? history : null;
    }

    private static IResult BadHistory(HttpContext context) => Results.Json(
        new { error = $"history must be a whole number from 1 to {ResyncOperationsOptions.MaxHistory}, not '{context.Request.Query["history"]}'" },
        DashboardJson.Options,
        statusCode: StatusCodes.Status400BadRequest);
}
