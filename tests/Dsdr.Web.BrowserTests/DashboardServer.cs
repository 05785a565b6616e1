using System.Net;
using System.Net.Sockets;
using Dsdr.Web.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Playwright;

namespace Dsdr.Web.BrowserTests;

/// <summary>
/// One real Dsdr.Web host for the browser tests (single node, embedded PostgreSQL in a temp folder, two simulated CPU
/// slots with short steps, free ports) and one headless Chromium (Debian's /usr/bin/chromium, via Playwright).
/// </summary>
public sealed class DashboardServer : IAsyncLifetime
{
    /// <summary>Debian's Chromium (`playwright install` cannot download browsers here); env DSDR_CHROMIUM points elsewhere.</summary>
    public static string ChromiumPath { get; } = Environment.GetEnvironmentVariable("DSDR_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private readonly string _root = Path.Combine(Path.GetTempPath(), $"dsdr-browser-{Guid.NewGuid():N}");
    private DsdrWebServer? _server;
    private IPlaywright? _playwright;

    public const string ApiKey = "browser-tests-key-0123456789abcdef";
    public const string OperatorPassword = "operator-password-1";
    public const string ViewerPassword = "viewer-password-12";

    public string BaseUrl { get; private set; } = "";
    /// <summary>The host's user store: "olga" (operator) and "vera" (viewer).</summary>
    public Security.DashboardUserStore Users { get; private set; } = default!;
    public IBrowser Browser { get; private set; } = default!;

    /// <summary>Where screenshots go: $DSDR_TEST_RESULTS/screenshots, else artifacts/screenshots at the repository root.</summary>
    public static string ScreenshotDirectory { get; } = ResolveScreenshotDirectory();

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException(
                $"Chromium is missing at {ChromiumPath}: the browser tests need Debian's Chromium. Install it with `apt-get install -y chromium` (as root), then rerun.");

        Directory.CreateDirectory(_root);
        Users = new Security.DashboardUserStore(Path.Combine(_root, "users.json"));
        Users.AddOrReplace("olga", Security.DsdrRoles.Operator, OperatorPassword);
        Users.AddOrReplace("vera", Security.DsdrRoles.Viewer, ViewerPassword);
        var options = new DsdrWebOptions
        {
            Urls = "http://127.0.0.1:0",
            Simulated = true,
            SimulatedStepMilliseconds = 60,
            Devices = Silo.DsdrSiloOptions.ParseDevices("cpu:2", null, null),
            SiloPort = FreePort(),
            GatewayPort = FreePort(),
            DataDirectory = Path.Combine(_root, "pgdata"),
            CheckpointDirectory = Path.Combine(_root, "checkpoints"),
            ApiKey = ApiKey,
            UsersFile = Users.FilePath,
            SignInFailureDelay = TimeSpan.FromMilliseconds(200),
            PoolSampleInterval = TimeSpan.FromSeconds(1),
        };
        _server = await DsdrWebApp.StartAsync(options, UseDsdrWebStaticAssets);
        BaseUrl = _server.Urls.First(u => u.StartsWith("http://", StringComparison.Ordinal)).TrimEnd('/');

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>The host's PostgreSQL, for tests that write as another process would (a fixture, the CLI, another node).</summary>
    public Task<Npgsql.NpgsqlDataSource> DataSourceAsync() =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Storage.DsdrDatabase>(_server!.Services).GetDataSourceAsync();

    /// <summary>A new page (its own context) at a desktop size, failing fast on long waits.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 1000 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        Assertions.SetDefaultExpectTimeout(15_000); // a loaded 2-core machine renders a Blazor page in seconds, not milliseconds
        return page;
    }

    /// <summary>Signs <paramref name="page"/>'s context in through the sign-in form (no name: the API key), coming back to <paramref name="returnTo"/>.</summary>
    public async Task SignInAsync(IPage page, string? user, string secret, string returnTo = "/")
    {
        await page.GotoAsync($"{BaseUrl}/signin?returnUrl={Uri.EscapeDataString(returnTo)}");
        await page.FillAsync("#signin-user", user ?? "");
        await page.FillAsync("#signin-secret", secret);
        await page.GetByTestId("signin-submit").ClickAsync();
        await page.WaitForURLAsync(BaseUrl + returnTo);
    }

    /// <summary>Waits until the Blazor circuit is live (prerendered HTML ignores input).</summary>
    public static Task InteractiveAsync(IPage page) => page.Locator("#dsdr-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    // The host runs inside the test process, whose entry assembly is not Dsdr.Web, so point ASP.NET at Dsdr.Web's
    // static web assets manifest (MudBlazor's _content and wwwroot) that its build wrote next to Dsdr.Web.dll.
    private static void UseDsdrWebStaticAssets(WebApplicationBuilder builder)
    {
        var manifest = FindStaticAssetsManifest();
        builder.WebHost.UseSetting(WebHostDefaults.StaticWebAssetsKey, manifest);
        builder.WebHost.UseStaticWebAssets();
    }

    private static string FindStaticAssetsManifest()
    {
        const string name = "Dsdr.Web.staticwebassets.runtime.json";
        var beside = Path.Combine(AppContext.BaseDirectory, name);
        if (File.Exists(beside)) return beside;
        var root = RepositoryRoot();
        var built = Directory.Exists(Path.Combine(root, "web", "Dsdr.Web", "bin"))
            ? Directory.GetFiles(Path.Combine(root, "web", "Dsdr.Web", "bin"), name, SearchOption.AllDirectories).OrderByDescending(File.GetLastWriteTimeUtc).FirstOrDefault()
            : null;
        return built ?? throw new FileNotFoundException($"{name} not found beside the tests or under web/Dsdr.Web/bin: build web/Dsdr.Web first.");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dsdr.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No Dsdr.sln above {AppContext.BaseDirectory}.");
    }

    private static string ResolveScreenshotDirectory()
    {
        var results = Environment.GetEnvironmentVariable("DSDR_TEST_RESULTS");
        var dir = !string.IsNullOrWhiteSpace(results)
            ? Path.Combine(results, "screenshots")
            : Path.Combine(RepositoryRoot(), "artifacts", "screenshots");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
