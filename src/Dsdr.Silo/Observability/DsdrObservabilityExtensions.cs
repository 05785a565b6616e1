using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Dsdr.Silo.Observability;

/// <summary>
/// Health checks and OpenTelemetry metrics of a Dsdr host (the worker silo and the web host): GET /health/live,
/// GET /health/ready (PostgreSQL reachable + Orleans cluster joined/connected), GET /metrics (Prometheus text of the
/// meter "Dsdr", Orleans, the runtime and ASP.NET Core), and OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set.
/// </summary>
public static class DsdrObservabilityExtensions
{
    public const string MeterName = "Dsdr";
    public const string LivePath = "/health/live";
    public const string ReadyPath = "/health/ready";
    public const string MetricsPath = "/metrics";
    public const string LiveTag = "live";
    public const string ReadyTag = "ready";

    /// <summary>Standard OpenTelemetry variable; when set (configuration or environment), metrics are also pushed over OTLP.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Meters exported besides "Dsdr": Orleans' runtime, .NET's runtime.</summary>
    public static readonly IReadOnlyList<string> ExtraMeters = ["Microsoft.Orleans", "System.Runtime"];

    /// <summary>
    /// Metrics (<see cref="AddDsdrMetrics"/>) and health checks (<see cref="AddDsdrHealthChecks"/>) for a host named
    /// <paramref name="serviceName"/> (e.g. "dsdr-worker", "dsdr-web"). Map the endpoints with <see cref="MapDsdrOperations"/>.
    /// </summary>
    public static IHostApplicationBuilder AddDsdrObservability(this IHostApplicationBuilder builder, string serviceName,
        Action<DsdrHealthOptions>? health = null)
    {
        builder.AddDsdrMetrics(serviceName);
        builder.Services.AddDsdrHealthChecks(health);
        return builder;
    }

    /// <summary>OpenTelemetry metrics: meter "Dsdr", Orleans, runtime, ASP.NET Core; Prometheus scraping; OTLP when configured.</summary>
    public static IHostApplicationBuilder AddDsdrMetrics(this IHostApplicationBuilder builder, string serviceName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(MeterName);
                metrics.AddMeter([.. ExtraMeters]);
                metrics.AddAspNetCoreInstrumentation();
                metrics.AddPrometheusExporter();
                if (otlp) metrics.AddOtlpExporter(); // reads OTEL_EXPORTER_OTLP_ENDPOINT / _PROTOCOL / _HEADERS itself
            });
        return builder;
    }

    /// <summary>
    /// Liveness ("process", tag live) and readiness ("postgresql" and "orleans", tag ready). PostgreSQL is the
    /// registered DsdrDatabase (none registered: reported healthy as not used); Orleans is the local silo's status
    /// in the cluster membership, or for a client host a round trip to the cluster.
    /// </summary>
    public static IServiceCollection AddDsdrHealthChecks(this IServiceCollection services, Action<DsdrHealthOptions>? configure = null)
    {
        var options = services.AddOptions<DsdrHealthOptions>();
        if (configure is not null) options.Configure(configure);
        services.AddHealthChecks()
            .AddCheck("process", () => HealthCheckResult.Healthy($"process {Environment.ProcessId} is up"), [LiveTag])
            .AddCheck<PostgresHealthCheck>("postgresql", tags: [ReadyTag])
            .AddCheck<OrleansClusterHealthCheck>("orleans", tags: [ReadyTag]);
        return services;
    }

    /// <summary>GET /health/live, GET /health/ready and GET /metrics.</summary>
    public static IEndpointRouteBuilder MapDsdrOperations(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapDsdrHealth();
        endpoints.MapDsdrMetrics();
        return endpoints;
    }

    /// <summary>GET /health/live (200 while the process runs) and GET /health/ready (200 ready, 503 not), JSON bodies.</summary>
    public static IEndpointRouteBuilder MapDsdrHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(LiveTag), ResponseWriter = HealthReportWriter.WriteAsync });
        endpoints.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = HealthReportWriter.WriteAsync });
        return endpoints;
    }

    /// <summary>GET /metrics: Prometheus text exposition.</summary>
    public static IEndpointRouteBuilder MapDsdrMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath);
        return endpoints;
    }
}

/// <summary>Timeouts of the readiness checks.</summary>
public sealed class DsdrHealthOptions
{
    /// <summary>Longest the PostgreSQL check waits for a connection and <c>SELECT 1</c>.</summary>
    public TimeSpan PostgresTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Longest a client host waits for the cluster to answer.</summary>
    public TimeSpan ClusterTimeout { get; set; } = TimeSpan.FromSeconds(3);
}
