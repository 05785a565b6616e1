using Dsdr.Web.Services;

namespace Dsdr.Cli.Platform;

/// <summary>How to start the single-node platform in this process (what <c>dsdr serve</c> and <c>dsdr demo</c> take).</summary>
/// <param name="Urls">Kestrel's listen URLs, ';'-separated (default http://localhost:5080).</param>
/// <param name="Devices">Learner slots, as Dsdr.Silo's --devices ("cpu:2", "cuda:0=80").</param>
/// <param name="DataDirectory">Root of the platform's data: embedded PostgreSQL, checkpoints, the generated API key.</param>
/// <param name="ConnectionString">An existing PostgreSQL; null = ConnectionStrings:Dsdr / DSDR_PG, else the embedded server.</param>
/// <param name="ApiKey">The API key; null = Dsdr:ApiKey / Dsdr__ApiKey, else generated at first start and kept in the data folder.</param>
/// <param name="Simulated">Slots run the simulated trial runner (sleeping steps, synthetic metrics) instead of the trainer.</param>
/// <param name="Verbose">Show the host's information logs (Orleans, ASP.NET) instead of warnings only.</param>
internal sealed record PlatformOptions(
    string Urls,
    string Devices,
    string DataDirectory,
    string? ConnectionString = null,
    string? ApiKey = null,
    bool Simulated = false,
    bool Verbose = false,
    int SiloPort = 11111,
    int GatewayPort = 30000,
    int SimulatedStepMilliseconds = 20)
{
    public const string DefaultUrls = "http://localhost:5080";

    /// <summary>~/.local/share/dsdr/&lt;name&gt; (root: /var/lib/dsdr/&lt;name&gt;).</summary>
    public static string DefaultDataDirectory(string name) =>
        Environment.IsPrivilegedProcess
            ? Path.Combine("/var/lib/dsdr", name)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "dsdr", name);
}

/// <summary>The platform running in this process: its address, its API key and the service the API and dashboard call.</summary>
internal interface IPlatformSession : IAsyncDisposable
{
    /// <summary>Where the dashboard and the API listen (the first bound address).</summary>
    Uri Url { get; }

    string ApiKey { get; }

    IDsdrPlatform Platform { get; }

    /// <summary>Stops cleanly: the silo leaves (running trials stop at their next step and record a checkpoint), PostgreSQL stops.</summary>
    Task StopAsync();
}

/// <summary>Starts the platform; returns once it serves requests.</summary>
internal delegate Task<IPlatformSession> PlatformStarter(PlatformOptions options, CancellationToken cancellationToken);
