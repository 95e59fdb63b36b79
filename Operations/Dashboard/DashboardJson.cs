using System.Text.Json;
using System.Text.Json.Serialization;

namespace Resync.Operations.Dashboard;

/// <summary>The dashboard's JSON: web defaults (camelCase), phases by name.</summary>
internal static class DashboardJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerOptions.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };
}
