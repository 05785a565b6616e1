using Dsdr.Silo;
using Dsdr.Silo.Observability;
using Dsdr.Storage;
using Dsdr.Web.Hosting;

namespace Dsdr.Deploy.Tests;

/// <summary>
/// What the deploy files must agree with, read from the code wherever the code defines it; the rest (image names,
/// file locations, ASP.NET Core's and the .NET host's own variables) is kept here, in one place.
/// </summary>
public static class Conventions
{
    public const string WebImage = "dsdr-web";
    public const string WorkerImage = "dsdr-worker";
    public const string WebDockerfile = "deploy/docker/web.Dockerfile";
    public const string WorkerDockerfile = "deploy/docker/worker.Dockerfile";
    public const string WorkerEntryPoint = "deploy/docker/dsdr-worker.sh";

    // Health and metrics endpoints, on the web host and on the silo.
    public const string HealthLive = DsdrObservabilityExtensions.LivePath;
    public const string HealthReady = DsdrObservabilityExtensions.ReadyPath;
    public const string Metrics = DsdrObservabilityExtensions.MetricsPath;

    /// <summary>The web host's port in containers (ASPNETCORE_HTTP_PORTS), the .NET container images' convention.</summary>
    public const int WebHttpPort = 8080;
    /// <summary>Dsdr.Silo's health/metrics port, --http-port's default.</summary>
    public static int SiloHttpPort => new DsdrSiloOptions().HttpPort;

    public static int SiloPort => new DsdrSiloOptions().SiloPort;
    public static int GatewayPort => new DsdrSiloOptions().GatewayPort;

    /// <summary>Database: the code's own name for the variable, and ConnectionStrings:Dsdr as an environment variable.</summary>
    public static string DatabaseVariable => DsdrDatabaseOptions.EnvironmentVariable;
    public const string ConnectionStringVariable = "ConnectionStrings__Dsdr";

    /// <summary>Dsdr:ApiKey as an environment variable; the web host only.</summary>
    public static string ApiKeyVariable => DsdrWebOptions.ApiKeyKey.Replace(":", "__", StringComparison.Ordinal);
    /// <summary>Dsdr:DataRoots as an environment variable: where a spec's files may be; the web host validates submissions against it, workers check it again when a trial opens a file.</summary>
    public static string DataRootsVariable => Dsdr.Core.Sweeps.SpecPaths.RootsSetting.Replace(":", "__", StringComparison.Ordinal);
    /// <summary>ASP.NET Core's listening ports; the web host only.</summary>
    public const string HttpPortsVariable = "ASPNETCORE_HTTP_PORTS";
    /// <summary>The .NET host's stop timeout (HostOptions.ShutdownTimeout), so a stopping worker can checkpoint.</summary>
    public const string ShutdownTimeoutVariable = "DOTNET_SHUTDOWNTIMEOUTSECONDS";

    public static IReadOnlySet<string> WebEnvironment =>
        new HashSet<string>(StringComparer.Ordinal) { DatabaseVariable, ConnectionStringVariable, ApiKeyVariable, DataRootsVariable, HttpPortsVariable };

    public static IReadOnlySet<string> WorkerEnvironment =>
        new HashSet<string>(StringComparer.Ordinal) { DatabaseVariable, ConnectionStringVariable, ShutdownTimeoutVariable, DataRootsVariable };

}
