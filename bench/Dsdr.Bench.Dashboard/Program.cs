// Dashboard benchmark: time to first chart and time to a zoom on a big finished sweep (by default 200 trials × 10,000 steps
// of 4 metrics = 8M metric rows), in headless Chromium, for two builds of Dsdr.Web against the same data; prints the ratio.
//   dotnet run -c Release --project bench/Dsdr.Bench.Dashboard -- --before PATH/Dsdr.Web.dll [--after PATH/Dsdr.Web.dll]
//       [--seeds-per-row 20] [--steps 10000] [--repeat 3] [--zoom 4000:4200]
// --before is the peer (e.g. main built in a temporary worktree: git worktree add --detach /tmp/base main &&
// dotnet build /tmp/base/web/Dsdr.Web -c Release); --after defaults to this checkout's Release build of web/Dsdr.Web.
// One private PostgreSQL (ephemeral settings) holds the seeded sweep in a template database; each build gets its own copy,
// migrated by that build. "First chart": navigation start until Plotly has drawn every row's curve. "Zoom": a Plotly
// relayout to the zoom window until the chart shows that window's exact points (checked against the seeded values).
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Loader;
using System.Text.Json;
using Dsdr.Storage.Embedded;
using Dsdr.Storage.Migrations;
using Dsdr.Web.BrowserTests;
using Microsoft.Playwright;
using Npgsql;

var options = DashboardBenchOptions.Parse(args);
var shape = options.Shape;
Console.WriteLine($"Dsdr dashboard benchmark: {shape}; zoom {options.ZoomFrom}–{options.ZoomTo}; {options.Repeat} page loads per build");
Console.WriteLine($"  before: {options.Before}");
Console.WriteLine($"  after:  {options.After}");
Console.WriteLine($"  load:   {File.ReadAllText("/proc/loadavg").Trim()} ({Environment.ProcessorCount} cores)");

var folder = Path.Combine(Path.GetTempPath(), $"dsdr-bench-dashboard-{Guid.NewGuid():N}");
const string SeedDatabase = "dsdr_bench_seed";
EmbeddedPostgres? server = null;
try
{
    var watch = Stopwatch.StartNew();
    server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = Path.Combine(folder, "pg"), Database = SeedDatabase, Ephemeral = true });
    await using (var seedSource = NpgsqlDataSource.Create(server.ConnectionString))
    {
        // only the migrations both builds know: each build applies its own newer ones when it starts
        var common = CommonMigrations(options.Before, options.After);
        await new MigrationRunner(seedSource, common).MigrateAsync();
        var seeded = await BigSweep.SeedAsync(seedSource, "big-sweep", shape);
        Console.WriteLine($"seeded {seeded.Trials.Count} trials, {shape.MetricRows:N0} metric rows by binary COPY in {watch.Elapsed.TotalSeconds:F1} s " +
                          $"(schema {string.Join(", ", common.Select(m => m.ToString()))})");
    }
    NpgsqlConnection.ClearAllPools();

    using var playwright = await Playwright.CreateAsync();
    await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = Environment.GetEnvironmentVariable("DSDR_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    });

    var results = new List<BuildFigures>();
    foreach (var (label, dll) in new[] { ("before", options.Before), ("after", options.After) })
    {
        var database = $"dsdr_bench_{label}";
        await server.CreateDatabaseAsync(database, template: SeedDatabase);
        await using var host = await WebHostProcess.StartAsync(dll, server.ConnectionStringFor(database), Path.Combine(folder, label));
        Console.WriteLine($"{label}: Dsdr.Web up at {host.Url} in {host.StartSeconds:F1} s");
        var figures = new BuildFigures(label);
        for (var i = 0; i < options.Repeat; i++)
        {
            var (first, zoom) = await MeasureAsync(browser, host.Url, "big-sweep", shape, options);
            figures.FirstChart.Add(first);
            figures.Zoom.Add(zoom);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {label} load {i + 1}: first chart {first:F2} s, zoom {zoom:F2} s"));
        }
        results.Add(figures);
    }

    Console.WriteLine();
    Console.WriteLine("| build | first chart, cold (s) | first chart, median (s) | zoom, median (s) |");
    Console.WriteLine("| --- | ---: | ---: | ---: |");
    foreach (var r in results)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {r.Label} | {r.FirstChart[0]:F2} | {Median(r.FirstChart):F2} | {Median(r.Zoom):F2} |"));
    var (b, a) = (results[0], results[1]);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"ratio before/after: first chart (median) {Median(b.FirstChart) / Median(a.FirstChart):F1}x, zoom (median) {Median(b.Zoom) / Median(a.Zoom):F1}x"));
    return 0;
}
finally
{
    NpgsqlConnection.ClearAllPools();
    if (server is not null) await server.DisposeAsync();
    try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
}

static double Median(IReadOnlyList<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

// The migrations of this checkout whose script the --before build also carries unchanged (read from its Dsdr.Storage.dll's resources).
static IReadOnlyList<Migration> CommonMigrations(string beforeDll, string afterDll)
{
    IReadOnlyList<Migration> Of(string webDll)
    {
        var context = new AssemblyLoadContext($"migrations-{Guid.NewGuid():N}", isCollectible: true);
        try
        {
            var storage = context.LoadFromAssemblyPath(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(webDll))!, "Dsdr.Storage.dll"));
            return [.. storage.GetManifestResourceNames().Where(n => n.StartsWith("db/", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
                .Select(n =>
                {
                    using var reader = new StreamReader(storage.GetManifestResourceStream(n)!);
                    return MigrationRunner.Parse(Path.GetFileName(n), reader.ReadToEnd());
                })];
        }
        finally
        {
            context.Unload();
        }
    }
    var before = Of(beforeDll).ToDictionary(m => m.Version);
    return [.. Of(afterDll).Where(m => before.TryGetValue(m.Version, out var b) && b.Checksum == m.Checksum).OrderBy(m => m.Version)];
}

// One page load: navigation → every row's curve drawn (first chart); then a relayout to the zoom window → its exact points drawn (zoom).
static async Task<(double FirstChart, double Zoom)> MeasureAsync(IBrowser browser, string baseUrl, string sweepId, BigSweepShape shape, DashboardBenchOptions options)
{
    await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1440, Height = 1000 } });
    var page = await context.NewPageAsync();
    page.SetDefaultTimeout(300_000);
    var watch = Stopwatch.StartNew();
    await page.GotoAsync($"{baseUrl}/sweeps/{sweepId}", new PageGotoOptions { WaitUntil = WaitUntilState.Commit, Timeout = 300_000 });
    // Plotly's data on the chart: one line trace (legend entry) per row, with points
    await page.WaitForFunctionAsync(
        "rows => { const p = document.querySelector('[data-testid=curve-chart] .js-plotly-plot'); " +
        "return p && p.data && p.data.filter(t => t.showlegend !== false && t.x && t.x.length > 0).length >= rows " +
        "&& p.querySelectorAll('.scatterlayer .trace').length >= rows; }",
        shape.Rows, new PageWaitForFunctionOptions { Timeout = 300_000, PollingInterval = 20 });
    var first = watch.Elapsed.TotalSeconds;

    await page.Locator("#dsdr-interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });
    var window = options.ZoomTo - options.ZoomFrom + 1;
    watch.Restart();
    await page.EvaluateAsync(
        "([from, to]) => window.Plotly.relayout(document.querySelector('[data-testid=curve-chart] .js-plotly-plot'), { 'xaxis.range': [from, to] })",
        new[] { options.ZoomFrom, options.ZoomTo });
    // every row's line now holds exactly the window's steps
    await page.WaitForFunctionAsync(
        "([from, to, rows]) => { const p = document.querySelector('[data-testid=curve-chart] .js-plotly-plot'); " +
        "const lines = p.data.filter(t => t.showlegend !== false && t.x); " +
        "return lines.length >= rows && lines.every(t => t.x.length === to - from + 1 && t.x[0] === from && t.x[t.x.length - 1] === to); }",
        new[] { options.ZoomFrom, options.ZoomTo, shape.Rows }, new PageWaitForFunctionOptions { Timeout = 300_000, PollingInterval = 20 });
    var zoom = watch.Elapsed.TotalSeconds;

    // exact values: the first row's mean over seeds at the window's first step, as stored
    var drawn = await page.EvaluateAsync<JsonElement>(
        "() => { const p = document.querySelector('[data-testid=curve-chart] .js-plotly-plot'); const t = p.data.filter(t => t.showlegend !== false && t.x)[0]; " +
        "return { name: t.name, y: t.customdata ? t.customdata[0][0] : t.y[0], n: t.x.length }; }");
    var expected = Enumerable.Range(0, shape.SeedsPerRow).Average(seed => BigSweep.Value(0, seed, "reward/mean", options.ZoomFrom));
    var y = drawn.GetProperty("y").GetDouble();
    if (Math.Abs(y - expected) > 1e-9 || drawn.GetProperty("n").GetInt32() != window)
        throw new InvalidOperationException($"The zoomed chart is not exact: {drawn} (expected the first row's mean {expected:R} over {window} points).");
    return (first, zoom);
}

internal sealed record BuildFigures(string Label)
{
    public List<double> FirstChart { get; } = [];
    public List<double> Zoom { get; } = [];
}

internal sealed record DashboardBenchOptions(string Before, string After, BigSweepShape Shape, int Repeat, int ZoomFrom, int ZoomTo)
{
    public static DashboardBenchOptions Parse(string[] args)
    {
        string? before = null;
        var after = DefaultAfter();
        var (seeds, steps, repeat, zoomFrom, zoomTo) = (20, 10_000, 3, 4000, 4200);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Number() => int.Parse(Next().Replace("_", ""), CultureInfo.InvariantCulture);
            switch (args[i])
            {
                case "--before": before = Next(); break;
                case "--after": after = Next(); break;
                case "--seeds-per-row": seeds = Number(); break;
                case "--steps": steps = Number(); break;
                case "--repeat": repeat = Math.Max(1, Number()); break;
                case "--zoom":
                    var parts = Next().Split(':');
                    if (parts.Length != 2) throw new ArgumentException("--zoom takes FROM:TO, e.g. 4000:4200.");
                    (zoomFrom, zoomTo) = (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture));
                    break;
                default:
                    throw new ArgumentException($"Unknown option '{args[i]}'. Options: --before DLL --after DLL --seeds-per-row N --steps N --repeat N --zoom FROM:TO");
            }
        }
        if (before is null) throw new ArgumentException("--before PATH/Dsdr.Web.dll is required: the build to compare against (e.g. main built in a temporary worktree).");
        foreach (var (flag, dll) in new[] { ("--before", before), ("--after", after) })
            if (!File.Exists(dll)) throw new ArgumentException($"{flag}: {dll} does not exist; build it with `dotnet build web/Dsdr.Web -c Release` in that checkout.");
        if (!(zoomFrom >= 1 && zoomTo > zoomFrom && zoomTo <= steps))
            throw new ArgumentException($"--zoom {zoomFrom}:{zoomTo} must lie within the steps 1–{steps}, FROM < TO.");
        return new(Path.GetFullPath(before), Path.GetFullPath(after), new BigSweepShape(seeds, steps, BigSweep.CurveNames), repeat, zoomFrom, zoomTo);
    }

    private static string DefaultAfter()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Dsdr.sln")))
                return Path.Combine(dir.FullName, "web", "Dsdr.Web", "bin", "Release", "net10.0", "Dsdr.Web.dll");
        return "web/Dsdr.Web/bin/Release/net10.0/Dsdr.Web.dll";
    }
}

/// <summary>A Dsdr.Web build run as its own process (single node, simulated runner, one CPU slot) on a given database.</summary>
internal sealed class WebHostProcess : IAsyncDisposable
{
    private readonly Process _process;

    private WebHostProcess(Process process, string url, double startSeconds) => (_process, Url, StartSeconds) = (process, url, startSeconds);

    public string Url { get; }
    public double StartSeconds { get; }

    public static async Task<WebHostProcess> StartAsync(string dll, string connectionString, string folder)
    {
        Directory.CreateDirectory(folder);
        var url = $"http://127.0.0.1:{FreePort()}";
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        foreach (var a in new[]
                 {
                     dll, "--urls", url, "--simulated", "--devices", "cpu:1", "--silo-port", FreePort().ToString(CultureInfo.InvariantCulture),
                     "--gateway-port", FreePort().ToString(CultureInfo.InvariantCulture), "--checkpoints", Path.Combine(folder, "checkpoints"),
                     $"--ConnectionStrings:Dsdr={connectionString}", "--Dsdr:ApiKey=bench-dashboard-key-0123456789", "--Logging:LogLevel:Default=Warning",
                 })
            start.ArgumentList.Add(a);
        var watch = Stopwatch.StartNew();
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start.");
        var log = new StreamWriter(Path.Combine(folder, "host.log")) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        while (watch.Elapsed < TimeSpan.FromMinutes(3))
        {
            if (process.HasExited)
                throw new InvalidOperationException($"Dsdr.Web ({dll}) exited with {process.ExitCode}; see {Path.Combine(folder, "host.log")}.");
            try
            {
                if ((await http.GetAsync($"{url}/health/ready")).IsSuccessStatusCode) return new WebHostProcess(process, url, watch.Elapsed.TotalSeconds);
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(250);
        }
        process.Kill(entireProcessTree: true);
        throw new TimeoutException($"Dsdr.Web ({dll}) was not ready within 3 minutes; see {Path.Combine(folder, "host.log")}.");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
