using Dsdr.Silo;
using Dsdr.Storage;
using Dsdr.Web.Hosting;
using Dsdr.Web.Services;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Dsdr.Cli.Platform;

/// <summary>The single-node platform as web/Dsdr.Web hosts it (<see cref="DsdrWebApp.StartAsync"/>), in this process.</summary>
internal sealed class WebPlatform(DsdrWebServer server) : IPlatformSession
{
    private int _stopped;

    public Uri Url { get; } = new(Loopback(server.Url).TrimEnd('/') + "/");

    public string ApiKey => server.ApiKey.Value;

    public ApiKeySource ApiKeySource => server.ApiKey.Source;

    public string? ApiKeyFile => server.ApiKey.FilePath;

    public IDsdrPlatform Platform { get; } = server.Services.GetRequiredService<IDsdrPlatform>();

    /// <summary>
    /// The web host's options for <paramref name="options"/>: PostgreSQL data in &lt;data&gt;/postgres (its API key file
    /// then lands in &lt;data&gt;/api-key), checkpoints in &lt;data&gt;/checkpoints; the connection string and the API key
    /// fall back to ConnectionStrings__Dsdr / DSDR_PG and Dsdr__ApiKey from the environment.
    /// </summary>
    internal static DsdrWebOptions WebOptions(PlatformOptions options, IConfiguration environment)
    {
        var fromEnvironment = DsdrDatabaseOptions.FromConfiguration(environment);
        var web = new DsdrWebOptions
        {
            Urls = options.Urls,
            Devices = DsdrSiloOptions.ParseDevices(options.Devices, null, null),
            Simulated = options.Simulated,
            SimulatedStepMilliseconds = options.SimulatedStepMilliseconds,
            SiloPort = options.SiloPort,
            GatewayPort = options.GatewayPort,
            DataDirectory = Path.Combine(options.DataDirectory, "postgres"),
            CheckpointDirectory = CheckpointsFolder(options),
            ConnectionString = options.ConnectionString ?? fromEnvironment.ConnectionString,
            ApiKey = options.ApiKey ?? (environment[DsdrWebOptions.ApiKeyKey] is { Length: > 0 } key ? key : null),
            // what a submitted spec may cost and which folders its files may be in: Dsdr__Limits__*, Dsdr__DataRoots
            DataRoots = DsdrWebOptions.DataRootsFrom(environment),
        };
        var (maxTrials, limits) = DsdrWebOptions.LimitsFrom(environment, web.MaxTrialsPerSweep, web.Limits);
        return web with { MaxTrialsPerSweep = maxTrials, Limits = limits };
    }

    /// <summary>&lt;data&gt;/checkpoints: the trials' checkpoints and the SFT cache (sft-cache/).</summary>
    public static string CheckpointsFolder(PlatformOptions options) => Path.Combine(options.DataDirectory, "checkpoints");

    /// <summary>Refuses options the web host would refuse (e.g. an API key under 16 characters), as bad input.</summary>
    public static PlatformOptions Check(PlatformOptions options, IConfiguration? environment = null)
    {
        try
        {
            WebOptions(options, environment ?? new ConfigurationBuilder().Build()).Validate();
        }
        catch (ArgumentException e)
        {
            throw new CliInputException(e.Message);
        }
        return options;
    }

    public static async Task<IPlatformSession> StartAsync(PlatformOptions options, CancellationToken cancellationToken)
    {
        var environment = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        Check(options, environment);
        var web = WebOptions(options, environment);
        Directory.CreateDirectory(options.DataDirectory);
        var server = await DsdrWebApp.StartAsync(web, builder =>
        {
            // the command owns Ctrl-C (it stops the platform itself, after saying so), not the host's console lifetime
            builder.Services.AddSingleton<IHostLifetime, CommandLifetime>();
            // the dashboard's files (wwwroot, MudBlazor, blazor.web.js) as Dsdr.Web's build lists them, since dsdr is the entry assembly
            var manifest = Path.Combine(AppContext.BaseDirectory, StaticAssetsManifest);
            if (File.Exists(manifest))
            {
                builder.Configuration[WebHostDefaults.StaticWebAssetsKey] = manifest;
                builder.WebHost.UseStaticWebAssets();
            }
            // the command's own lines are the progress; the host's logs only when something goes wrong
            builder.Logging.SetMinimumLevel(options.Verbose ? LogLevel.Information : LogLevel.Warning);
            builder.Logging.AddFilter("Orleans", options.Verbose ? LogLevel.Information : LogLevel.Error);
            if (!options.Verbose)
            {
                // appsettings.json asks for these categories' start-up lines by name (and a default of Information);
                // rules added here come later, so they win
                builder.Logging.AddFilter((string?)null, LogLevel.Warning);
                foreach (var category in (string[])["Orleans.Runtime.Silo", "Orleans.Hosting.SiloHostedService", "Microsoft.Hosting.Lifetime"])
                    builder.Logging.AddFilter(category, LogLevel.Error);
            }
        }, cancellationToken);
        return new WebPlatform(server);
    }

    /// <summary>Dsdr.Web's static web assets manifest, copied beside dsdr by the build.</summary>
    public const string StaticAssetsManifest = "Dsdr.Web.staticwebassets.runtime.json";

    /// <summary>A host lifetime that leaves signals to the command.</summary>
    private sealed class CommandLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    /// <summary>A wildcard listen address as a URL a browser can open.</summary>
    private static string Loopback(string address) =>
        address.Replace("://[::]", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://+", "://localhost", StringComparison.Ordinal);

    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        await server.StopAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await server.DisposeAsync();
    }
}
