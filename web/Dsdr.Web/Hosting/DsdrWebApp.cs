using Dsdr.Grains;
using Dsdr.Runner.Simulation;
using Dsdr.Runner;
using Dsdr.Silo;
using Dsdr.Silo.Observability;
using Dsdr.Silo.Postgres;
using Dsdr.Storage;
using Dsdr.Web.Api;
using Dsdr.Web.Components;
using Dsdr.Web.Security;
using Dsdr.Web.Services;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using MudBlazor.Services;
using Orleans.Configuration;
using Scalar.AspNetCore;

namespace Dsdr.Web.Hosting;

/// <summary>
/// The web host: REST API (/api), OpenAPI document (/openapi/v1.json), its reference page (/scalar), the Blazor
/// dashboard, health (/health/live, /health/ready) and Prometheus metrics (/metrics); in single-node mode also the silo with its learner slots and (without a connection string) an embedded
/// PostgreSQL. Three ways in: <see cref="RunAsync"/> (the Dsdr.Web executable), <see cref="Build(string[])"/> (the same
/// from a command line; WebApplicationFactory&lt;Program&gt; goes this way) and <see cref="StartAsync"/> (the CLI's
/// <c>dsdr serve</c>/<c>dsdr demo</c>: options in code, returns the listening URL and the API key).
/// </summary>
public static class DsdrWebApp
{
    /// <summary>OpenTelemetry service name of the web host.</summary>
    public const string ServiceName = "dsdr-web";

    /// <summary>Runs until stopped (Ctrl+C); 2 on a bad command line, after printing what is wrong and the usage.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(DsdrWebOptions.Usage);
            return 0;
        }
        WebApplication app;
        try
        {
            app = Build(args);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            Console.Error.WriteLine();
            Console.Error.WriteLine(DsdrWebOptions.Usage);
            return 2;
        }
        await app.RunAsync();
        return 0;
    }

    /// <summary>
    /// Builds the host from a command line: the flags of <see cref="DsdrWebOptions.Usage"/> and ASP.NET configuration
    /// pairs (--Key=Value). Without --urls / ASPNETCORE_URLS / ASPNETCORE_HTTP_PORTS it listens on http://localhost:5080.
    /// </summary>
    public static WebApplication Build(string[] args)
    {
        string[] arguments = [.. DsdrWebOptions.ToConfigurationArguments(args)];
        var contentRootGiven = arguments.Any(a => a.StartsWith("--contentRoot=", StringComparison.OrdinalIgnoreCase));
        // appsettings.json from beside Dsdr.Web.dll, whatever the working folder (unless a content root is given).
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = arguments,
            ContentRootPath = contentRootGiven ? null : AppContext.BaseDirectory,
        });
        var options = DsdrWebOptions.FromConfiguration(builder.Configuration);
        var listensSomewhere = new[] { "urls", "http_ports", "https_ports" }.Any(k => !string.IsNullOrWhiteSpace(builder.Configuration[k]));
        if (!listensSomewhere) builder.WebHost.UseUrls(options.Urls);
        return Build(builder, options);
    }

    /// <summary>Builds the host from options given in code; <paramref name="configure"/> may add services or settings.</summary>
    public static WebApplication Build(DsdrWebOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // In another process (the CLI, tests) the entry assembly is not Dsdr.Web: name it, so Razor components and
        // Dsdr.Web's static web assets are found, and read appsettings.json from beside Dsdr.Web.dll, not the working folder.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = [],
            ApplicationName = typeof(DsdrWebApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.WebHost.UseUrls(options.Urls);
        configure?.Invoke(builder);
        return Build(builder, options);
    }

    /// <summary>
    /// Builds and starts the host (embedded PostgreSQL, silo and slots included), returning once it listens. Use
    /// "http://127.0.0.1:0" as <see cref="DsdrWebOptions.Urls"/> for a free port; <see cref="DsdrWebServer.Url"/> says which.
    /// </summary>
    public static async Task<DsdrWebServer> StartAsync(DsdrWebOptions options, Action<WebApplicationBuilder>? configure = null,
        CancellationToken cancellationToken = default)
    {
        var app = Build(options, configure);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        if (addresses.Count == 0) addresses = [.. app.Urls];
        return new DsdrWebServer(app, addresses, app.Services.GetRequiredService<ApiKey>());
    }

    private static WebApplication Build(WebApplicationBuilder builder, DsdrWebOptions options)
    {
        // Run from a build folder (not published) in any environment, MudBlazor's _content and wwwroot come from the
        // static web assets manifest the build wrote beside the assembly; after publish there is none and this is a no-op.
        if (File.Exists(Path.Combine(AppContext.BaseDirectory, $"{builder.Environment.ApplicationName}.staticwebassets.runtime.json")))
            builder.WebHost.UseStaticWebAssets();
        var apiKey = ApiKey.Resolve(options);
        builder.WebHost.ConfigureKestrel(RequestLimits.ConfigureKestrel);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(apiKey);
        builder.Services.AddDsdrStorage(options.ToDatabaseOptions());
        if (options.Mode == WebMode.SingleNode) AddSilo(builder, options);
        else AddClusterClient(builder, options);
        builder.Services.AddDsdrPlatform();
        builder.AddDsdrObservability(ServiceName); // GET /health/live, /health/ready (PostgreSQL + cluster), /metrics

        builder.Services.AddProblemDetails();
        builder.Services.AddDsdrOpenApi();
        builder.Services.ConfigureHttpJsonOptions(json => ApiJson.Configure(json.SerializerOptions));
        // a pasted or uploaded spec of up to 1 MiB travels over the circuit; JSON escaping can double it (default limit: 32 KB)
        builder.Services.AddRazorComponents().AddInteractiveServerComponents()
            .AddHubOptions(hub => hub.MaximumReceiveMessageSize = DashboardLimits.MaxCircuitMessageBytes);
        builder.Services.AddMudServices();
        builder.Services.AddDsdrSecurity(options); // sign-in cookie, the API key scheme, the operator and read policies

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseDsdrRequestLimits(); // an over-long URL as a 414 problem (Kestrel's own answer has no body)
        app.UseStatusCodePages();   // routing misses and other bodiless errors as problem details
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference(scalar => scalar.WithTitle("Dsdr API")).AllowAnonymous();
        app.MapDsdrApi();
        app.MapGroup("").AllowAnonymous().MapDsdrOperations(); // probes and scrapers do not sign in
        app.MapDsdrSignOut();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();

        Announce(options, apiKey);
        return app;
    }

    private static void AddSilo(WebApplicationBuilder builder, DsdrWebOptions options)
    {
        var silo = options.ToSiloOptions();
        var hooks = new DsdrSiloHooks
        {
            Runner = options.Simulated
                ? s => s.UseSimulatedRunner(options.CheckpointDirectory)
                : s => s.UseTrainerRunner(new TrainerRunnerOptions(options.CheckpointDirectory, DataRoots: options.SpecOptions().DataRoots)),
        }.OnPostgres(SiloMode.SingleNode, options.ToDatabaseOptions());
        builder.AddDsdrSilo(silo, hooks);
    }

    private static void AddClusterClient(WebApplicationBuilder builder, DsdrWebOptions options) =>
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(c =>
            {
                c.ClusterId = options.ClusterId;
                c.ServiceId = options.ServiceId;
            });
            client.UseDsdrClustering();
        });

    private static void Announce(DsdrWebOptions options, ApiKey apiKey)
    {
        var where = options.Mode == WebMode.SingleNode
            ? $"single node '{options.Node}', slots {string.Join(", ", options.Devices.Select(d => d.Name))}, " +
              (options.Simulated ? "simulated runner" : "TorchSharp trainer") + ", " +
              (options.ConnectionString is null
                  ? $"embedded PostgreSQL in {options.DataDirectory ?? Storage.Embedded.EmbeddedPostgres.DefaultDataDirectory()}"
                  : "PostgreSQL from ConnectionStrings:Dsdr / DSDR_PG")
            : $"cluster '{options.ClusterId}' client through PostgreSQL membership";
        Console.Error.WriteLine($"Dsdr.Web: {where}.");
        // the key itself only once, when it is made; later starts say where it is (it would otherwise land in every service log)
        switch (apiKey.Source)
        {
            case ApiKeySource.Generated:
                Console.WriteLine($"Dsdr.Web: generated API key (send it as {DsdrWebOptions.ApiKeyHeader} on POST routes): {apiKey.Value}");
                Console.WriteLine($"Dsdr.Web: saved in {apiKey.FilePath}; set {DsdrWebOptions.ApiKeyKey} to use your own.");
                break;
            case ApiKeySource.Saved:
                Console.WriteLine($"Dsdr.Web: API key ({DsdrWebOptions.ApiKeyHeader}) in {apiKey.FilePath}; `dsdr key --data-dir DIR` prints it.");
                break;
        }
    }
}

/// <summary>A started web host: where it listens, its API key; dispose to stop it (and its silo and embedded PostgreSQL).</summary>
public sealed class DsdrWebServer(WebApplication app, IReadOnlyList<string> urls, ApiKey apiKey) : IAsyncDisposable
{
    public WebApplication App { get; } = app;
    /// <summary>Every address Kestrel listens on (ports resolved).</summary>
    public IReadOnlyList<string> Urls { get; } = urls;
    /// <summary>The first listening address, e.g. "http://127.0.0.1:5080".</summary>
    public string Url => Urls[0];
    public ApiKey ApiKey { get; } = apiKey;
    public IServiceProvider Services => App.Services;

    /// <summary>Completes when the host shuts down (Ctrl+C, SIGTERM or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => App.WaitForShutdownAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => App.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await App.StopAsync(CancellationToken.None);
        }
        finally
        {
            await App.DisposeAsync();
        }
    }
}
