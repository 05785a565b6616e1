using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Dsdr.Silo.Observability;

/// <summary>
/// Health reports as JSON: {"status":"Healthy","checks":[{"name","status","description","durationMs"}]}. The descriptions
/// (PostgreSQL's host and port, the silo's address, a failure's message) only for a caller that is signed in or on this
/// machine (<see cref="ShowsDetails"/>); anyone else gets the statuses alone.
/// </summary>
internal static class HealthReportWriter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var details = ShowsDetails(context);
        var body = new
        {
            status = report.Status.ToString(),
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString(),
                description = details ? e.Value.Description ?? e.Value.Exception?.Message : null,
                durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
            }),
        };
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, Json));
    }

    /// <summary>Signed in, or connected from a loopback address (a probe or an operator on the node itself).</summary>
    public static bool ShowsDetails(HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true
        || context.Connection.RemoteIpAddress is { } remote && System.Net.IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote);
}
