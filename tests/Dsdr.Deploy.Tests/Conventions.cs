using Dsdr.Silo;
using Dsdr.Storage;

namespace Dsdr.Deploy.Tests;

/// <summary>
/// What the deploy files must agree with. Values the code defines are read from the code; the others are the
/// project's conventions (docs BRIEF "Conventions every helper must use") for parts not in this branch's code yet
/// — health paths and the silo's HTTP port (ops), the web host's options and API key (api) — kept here, in one place.
/// </summary>
public static class Conventions
{
    public const string WebImage = "dsdr-web";
    public const string WorkerImage = "dsdr-worker";
    public const string WebDockerfile = "deploy/docker/web.Dockerfile";
    public const string WorkerDockerfile = "deploy/docker/worker.Dockerfile";
    public const string WorkerEntryPoint = "deploy/docker/dsdr-worker.sh";

    // Health and metrics endpoints, on the web host and on the silo (ops).
    public const string HealthLive = "/health/live";
    public const string HealthReady = "/health/ready";
    public const string Metrics = "/metrics";

    /// <summary>The web host's port in containers (ASPNETCORE_HTTP_PORTS).</summary>
    public const int WebHttpPort = 8080;
    /// <summary>Dsdr.Silo's health/metrics port, --http-port's default (ops).</summary>
    public const int SiloHttpPort = 8081;

    public static int SiloPort => new DsdrSiloOptions().SiloPort;
    public static int GatewayPort => new DsdrSiloOptions().GatewayPort;

    /// <summary>Database: the code's own name for the variable, and ConnectionStrings:Dsdr as an environment variable.</summary>
    public static string DatabaseVariable => DsdrDatabaseOptions.EnvironmentVariable;
    public const string ConnectionStringVariable = "ConnectionStrings__Dsdr";

    /// <summary>Dsdr:ApiKey (api); the web host only.</summary>
    public const string ApiKeyVariable = "Dsdr__ApiKey";
    /// <summary>ASP.NET Core's listening ports; the web host only.</summary>
    public const string HttpPortsVariable = "ASPNETCORE_HTTP_PORTS";
    /// <summary>The .NET host's stop timeout (HostOptions.ShutdownTimeout), so a stopping worker can checkpoint.</summary>
    public const string ShutdownTimeoutVariable = "DOTNET_SHUTDOWNTIMEOUTSECONDS";

    public static IReadOnlySet<string> WebEnvironment { get; } =
        new HashSet<string>(StringComparer.Ordinal) { DatabaseVariable, ConnectionStringVariable, ApiKeyVariable, HttpPortsVariable };

    public static IReadOnlySet<string> WorkerEnvironment { get; } =
        new HashSet<string>(StringComparer.Ordinal) { DatabaseVariable, ConnectionStringVariable, ShutdownTimeoutVariable };

    /// <summary>The web host's command line in cluster mode (api): flags and options with a value.</summary>
    public static IReadOnlySet<string> WebFlags { get; } = new HashSet<string>(StringComparer.Ordinal) { "--cluster" };
    public static IReadOnlySet<string> WebValueOptions { get; } = new HashSet<string>(StringComparer.Ordinal) { "--cluster-id", "--service-id" };
}
