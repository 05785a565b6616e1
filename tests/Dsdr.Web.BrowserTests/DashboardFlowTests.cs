using System.Text.RegularExpressions;
using Dsdr.Core.Results;
using Microsoft.Playwright;

namespace Dsdr.Web.BrowserTests;

/// <summary>A researcher's way through the dashboard in a real browser against the real host.</summary>
public sealed class DashboardFlowTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    private static async Task ShotAsync(IPage page, string name)
    {
        await page.EvaluateAsync("window.scrollTo(0, 0)"); // the fixed app bar then sits at the top of the full-page image
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardServer.ScreenshotDirectory, name + ".png"), FullPage = true });
    }

    /// <summary>Waits until the Blazor circuit is live (prerendered HTML ignores input).</summary>
    private static Task InteractiveAsync(IPage page) => DashboardServer.InteractiveAsync(page);

    [Fact]
    public async Task Submit_a_sweep_from_the_form_see_it_listed_open_it_and_see_its_table_and_chart()
    {
        var page = await server.NewPageAsync();
        var name = $"browser-{Guid.NewGuid():N}"[..16];
        try
        {
            await server.SignInAsync(page, null, DashboardServer.ApiKey, "/sweeps/new"); // submitting needs an operator
            await InteractiveAsync(page);

            await page.FillAsync("#f-name", name);
            await page.FillAsync("#f-steps", "25");
            await page.FillAsync("#f-eval-every", "5");
            await page.FillAsync("#f-seeds", "0, 1");
            var count = page.GetByTestId("trial-count");
            await Assertions.Expect(count).ToHaveAttributeAsync("data-count", "4"); // grpo + dsdr × 2 seeds, previewed live
            await Assertions.Expect(page.GetByTestId("matrix-row")).ToHaveCountAsync(2);

            // a validation message appears live and goes away
            await page.FillAsync("#f-seeds", "0, x");
            await Assertions.Expect(page.Locator("[data-testid=preview-error][data-path='form:seeds']")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("submit-sweep")).ToBeDisabledAsync();
            await page.FillAsync("#f-seeds", "0, 1");
            await Assertions.Expect(count).ToHaveAttributeAsync("data-count", "4");
            await ShotAsync(page, "01-new-sweep");

            await page.GetByTestId("submit-sweep").ClickAsync();
            await page.WaitForURLAsync(new Regex($"/sweeps/{name}$"));
            await Assertions.Expect(page.GetByTestId("sweep-name")).ToHaveTextAsync(name);

            // listed on the sweeps page
            await page.GetByTestId("nav-sweeps").ClickAsync();
            var row = page.Locator($"[data-testid=sweep-row][data-sweep='{name}']");
            await Assertions.Expect(row).ToBeVisibleAsync(new() { Timeout = 20_000 }); // a loaded machine
            await Assertions.Expect(row).ToContainTextAsync("/ 4 trials finished");
            await ShotAsync(page, "02-sweeps");

            // open it: trials, the result table and a training curve drawn (updates arrive without reload)
            await row.GetByTestId("sweep-link").ClickAsync();
            await Assertions.Expect(page.GetByTestId("sweep-name")).ToHaveTextAsync(name);
            await Assertions.Expect(page.GetByTestId("trial-row")).ToHaveCountAsync(4);
            await Assertions.Expect(page.GetByTestId("result-table")).ToBeVisibleAsync();
            var curve = page.Locator("[data-testid=curve-chart] .scatterlayer path.js-line"); // drawn by Plotly
            await Assertions.Expect(curve.First).ToBeVisibleAsync(new() { Timeout = 60_000 });
            Assert.True(await curve.CountAsync() >= 1);
            Assert.Matches(@"^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+)+", await curve.First.GetAttributeAsync("d")); // a line through at least two points
            // the sweep runs to completion while the page is open (live updates, no reload)
            await Assertions.Expect(page.Locator("[data-testid=sweep-status] [data-status=completed]")).ToBeVisibleAsync(new() { Timeout = 90_000 });
            // the simulated runner evaluates at step 0 (the Backbone row) and at its last step: table, heat-map and pass@k fill in
            var rows = page.GetByTestId("result-row");
            await Assertions.Expect(rows).ToHaveCountAsync(3);
            await Assertions.Expect(rows.Nth(0)).ToHaveAttributeAsync("data-row", ResultTable.BackboneRow);
            var dsdr = page.Locator("[data-testid=result-row][data-row=dsdr]");
            await Assertions.Expect(dsdr.GetByTestId("result-mean").First).ToHaveTextAsync(new Regex(@"^\d+\.\d+ ± \d+\.\d+$")); // mean ± std over 2 seeds, as many decimals as tell the rows apart
            // its 95 % interval (bootstrap over problems × seeds) and its paired difference against GRPO, the reference
            await Assertions.Expect(dsdr.GetByTestId("result-ci").First).ToHaveTextAsync(new Regex(@"^\[-?\d+\.\d+, -?\d+\.\d+\]$"));
            await Assertions.Expect(dsdr.GetByTestId("result-delta").First).ToHaveTextAsync(new Regex(@"^Δ [+-]\d+\.\d+ \[-?\d+\.\d+, -?\d+\.\d+\]( ★)?$"));
            await Assertions.Expect(page.Locator("[data-testid=result-row][data-row=grpo] [data-testid=result-delta]").First).ToHaveAttributeAsync("data-reference", "true");
            await Assertions.Expect(page.GetByTestId("heat-cell")).ToHaveCountAsync(3); // 3 rows × 1 benchmark
            await Assertions.Expect(page.Locator("[data-testid=passk-chart-legend] li")).ToHaveCountAsync(3);
            await Assertions.Expect(page.Locator("[data-testid=passk-chart] .scatterlayer path.js-line").First).ToBeVisibleAsync();

            // zoom: drag across the middle of the training curves; the page loads that window's exact points
            var dragLayer = page.Locator("[data-testid=curve-chart] .nsewdrag").First;
            await dragLayer.ScrollIntoViewIfNeededAsync(); // mouse positions are the viewport's
            var drag = await dragLayer.BoundingBoxAsync();
            Assert.NotNull(drag);
            await page.Mouse.MoveAsync(drag!.X + drag.Width * 0.3f, drag.Y + drag.Height * 0.5f);
            await page.Mouse.DownAsync();
            await page.Mouse.MoveAsync(drag.X + drag.Width * 0.45f, drag.Y + drag.Height * 0.5f, new() { Steps = 5 });
            await page.Mouse.MoveAsync(drag.X + drag.Width * 0.6f, drag.Y + drag.Height * 0.5f, new() { Steps = 5 });
            await page.Mouse.UpAsync();
            await Assertions.Expect(page.GetByTestId("curve-chart-zoom")).ToContainTextAsync("zoomed to");
            await Assertions.Expect(curve.First).ToBeVisibleAsync();

            // downloads: the curves as CSV, and Plotly's PNG of the chart
            var csv = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("curve-chart-csv").ClickAsync());
            Assert.Equal("curve-chart.csv", csv.SuggestedFilename);
            var csvText = await File.ReadAllTextAsync((await csv.PathAsync())!);
            Assert.StartsWith("series,step,reward/mean,lower,upper,n\n", csvText);
            // the row's band over its 2 seeds: the name holds a comma, so CSV quotes it; lower and upper are filled in
            Assert.Matches(new Regex("^\"dsdr \\(2 seeds, 95 % CI\\)\",\\d+,[^,\n]+,[^,\n]+,[^,\n]+,2$", RegexOptions.Multiline), csvText);
            var png = await page.RunAndWaitForDownloadAsync(() => page.GetByTestId("curve-chart-png").ClickAsync());
            Assert.Equal("curve-chart.png", png.SuggestedFilename);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], (await File.ReadAllBytesAsync((await png.PathAsync())!))[..4]);
            await page.GetByTestId("copy-markdown").ClickAsync();
            await Assertions.Expect(page.GetByTestId("copy-output")).ToContainTextAsync("| dsdr |");
            await ShotAsync(page, "03-sweep");
            var compareHref = await page.GetByTestId("compare-link").GetAttributeAsync("href");

            // a trial page draws its own curve
            await page.GetByTestId("trial-link").First.ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=trial-curve-chart-legend] li")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("[data-testid=trial-curve-chart] .scatterlayer path.js-line").First).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("trial-evals")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("rollout-group").First).ToBeVisibleAsync(); // the rollout explorer shows a step's groups
            await ShotAsync(page, "04-trial");

            // the pool page lists the two CPU slots
            await page.GetByTestId("nav-pool").ClickAsync();
            await Assertions.Expect(page.GetByTestId("slot-row")).ToHaveCountAsync(2);
            await ShotAsync(page, "05-pool");

            // the compare view from the sweep's link, then as a shared URL opened in a fresh browser context
            await page.GotoAsync(server.BaseUrl + compareHref);
            await InteractiveAsync(page);
            await Assertions.Expect(page.Locator("[data-testid=compare-chart-legend] li")).ToHaveCountAsync(2); // a band per row over its 2 seeds
            await Assertions.Expect(page.GetByTestId("compare-row")).ToHaveCountAsync(4);
            await page.Locator("input[data-testid=compare-trial], [data-testid=compare-trial] input").First.UncheckAsync();
            await page.WaitForURLAsync(new Regex("/compare\\?trials=[^&]+&metric="));
            await Assertions.Expect(page.GetByTestId("compare-row")).ToHaveCountAsync(3);
            // each seed on its own line instead of the rows' bands, carried by the URL too
            await page.Locator("input[data-testid=compare-each-seed], [data-testid=compare-each-seed] input").CheckAsync();
            await page.WaitForURLAsync(new Regex("&seeds=each$"));
            await Assertions.Expect(page.Locator("[data-testid=compare-chart-legend] li")).ToHaveCountAsync(3);
            var shared = page.Url;
            var other = await server.NewPageAsync();
            try
            {
                await other.GotoAsync(shared);
                await Assertions.Expect(other.GetByTestId("compare-row")).ToHaveCountAsync(3);
                await Assertions.Expect(other.Locator("[data-testid=compare-chart-legend] li")).ToHaveCountAsync(3);
                await Assertions.Expect(other.Locator("[data-testid=compare-chart] .scatterlayer path.js-line").First).ToBeVisibleAsync();
                await ShotAsync(other, "08-compare");
            }
            finally
            {
                await other.Context.CloseAsync();
            }
        }
        catch
        {
            await ShotAsync(page, "failure");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    // Every line of the curve chart (legend entries, not band edges or stars): name, x and the exact values behind each point.
    private const string CurveLines =
        "() => { const p = document.querySelector('[data-testid=curve-chart] .js-plotly-plot'); if (!p || !p.data) return []; " +
        "return p.data.filter(t => t.showlegend !== false && t.customdata).map(t => ({ name: t.name, x: Array.from(t.x), " +
        "mean: t.customdata.map(d => d[0]), low: t.customdata.map(d => d[1]), high: t.customdata.map(d => d[2]) })); }";

    private sealed record CurveLine(string Name, double[] X, double[] Mean, double[] Low, double[] High);

    private static async Task<IReadOnlyList<CurveLine>> LinesAsync(IPage page)
    {
        static double[] Numbers(System.Text.Json.JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetDouble())];
        var lines = await page.EvaluateAsync<System.Text.Json.JsonElement>(CurveLines);
        return [.. lines.EnumerateArray().Select(l => new CurveLine(l.GetProperty("name").GetString()!, Numbers(l.GetProperty("x")), Numbers(l.GetProperty("mean")),
            Numbers(l.GetProperty("low")), Numbers(l.GetProperty("high"))))];
    }

    /// <summary>Waits until the curve chart's lines satisfy <paramref name="condition"/> (Plotly redraws after each pushed or zoomed load).</summary>
    private static async Task<IReadOnlyList<CurveLine>> LinesWhenAsync(IPage page, Func<IReadOnlyList<CurveLine>, bool> condition, string what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(60); // a loaded 2-core machine
        IReadOnlyList<CurveLine> lines = [];
        while (DateTime.UtcNow < until)
        {
            lines = await LinesAsync(page);
            if (condition(lines)) return lines;
            await Task.Delay(100);
        }
        throw new TimeoutException($"The curve chart never showed {what}; it showed {string.Join("; ", lines.Select(l => $"{l.Name}: {l.X.Length} points {l.X.FirstOrDefault()}–{l.X.LastOrDefault()}"))}.");
    }

    [Fact]
    public async Task A_big_finished_sweep_is_drawn_from_server_side_summaries_grows_by_push_and_zooms_to_exact_values()
    {
        // 10 rows × 2 seeds × 3,000 steps × 4 metrics, written straight into PostgreSQL as another process would
        var shape = new BigSweepShape(2, 3000, BigSweep.CurveNames);
        var dataSource = await server.DataSourceAsync();
        var seeded = await BigSweep.SeedAsync(dataSource, $"big-{Guid.NewGuid():N}"[..12], shape);
        var rows = seeded.Rows;
        string Line(string row) => $"{row} (2 seeds, 95 % CI)";
        var page = await server.NewPageAsync();
        try
        {
            await page.GotoAsync($"{server.BaseUrl}/sweeps/{seeded.SweepId}");
            await InteractiveAsync(page);

            // first chart: a band per row from the rollups, each point the seeds' means over 16 steps (3000 steps, ≤ 300 points)
            var lines = await LinesWhenAsync(page, l => l.Count == shape.Rows, "a line per row");
            Assert.Equal(rows.Select(Line).Order(StringComparer.Ordinal), lines.Select(l => l.Name).Order(StringComparer.Ordinal));
            Assert.All(lines, l => Assert.InRange(l.X.Length, 150, 300));
            await Assertions.Expect(page.GetByTestId("curve-chart")).ToHaveAttributeAsync("data-exact", "false");
            await Assertions.Expect(page.GetByTestId("curve-chart-downsampled")).ToContainTextAsync("over 16 steps");
            await ShotAsync(page, "09-big-sweep");

            // another writer stores 200 more steps of the first row's seeds: the database announces them, the open page redraws
            var first = seeded.Trials.Where(t => t.Row == rows[0]).ToList();
            var more = first.SelectMany(t => Enumerable.Range(shape.Steps + 1, 200).Select(step => (t.TrialId, step, BigSweep.Value(0, t.Seed, "reward/mean", step)))).ToList();
            await using (var insert = dataSource.CreateCommand(
                             "INSERT INTO metrics (trial_id, name, step, value) SELECT t, 'reward/mean', s, v FROM unnest($1::text[], $2::int[], $3::float8[]) AS x(t, s, v)"))
            {
                insert.Parameters.AddWithValue(more.Select(m => m.TrialId).ToArray());
                insert.Parameters.AddWithValue(more.Select(m => m.step).ToArray());
                insert.Parameters.AddWithValue(more.Select(m => m.Item3).ToArray());
                await insert.ExecuteNonQueryAsync();
            }
            lines = await LinesWhenAsync(page, l => l.Any(x => x.Name == Line(rows[0]) && x.X[^1] > shape.Steps), $"{rows[0]} past step {shape.Steps}");
            Assert.All(lines.Where(l => l.Name != Line(rows[0])), l => Assert.True(l.X[^1] <= shape.Steps));

            // zoom to 201 steps: every row's line holds each step, with the mean and Core's t interval of its seeds' stored values
            const int From = 1000, To = 1200;
            await page.EvaluateAsync("([from, to]) => window.Plotly.relayout(document.querySelector('[data-testid=curve-chart] .js-plotly-plot'), { 'xaxis.range': [from, to] })",
                new[] { From, To });
            lines = await LinesWhenAsync(page, l => l.Count == shape.Rows && l.All(x => x.X.Length == To - From + 1 && x.X[0] == From && x.X[^1] == To),
                $"every step of {From}–{To}");
            await Assertions.Expect(page.GetByTestId("curve-chart")).ToHaveAttributeAsync("data-exact", "true");
            await Assertions.Expect(page.GetByTestId("curve-chart-zoom")).ToContainTextAsync("exact points");
            for (var r = 0; r < rows.Count; r++)
            {
                var line = lines.Single(l => l.Name == Line(rows[r]));
                var seeds = seeded.Trials.Where(t => t.Row == rows[r]).Select(t => t.Seed).ToList();
                for (var i = 0; i < line.X.Length; i += 20)
                {
                    var (mean, low, high) = Dsdr.Core.Statistics.SeedBand.Of([.. seeds.Select(seed => BigSweep.Value(r, seed, "reward/mean", (int)line.X[i]))]);
                    Assert.Equal(mean, line.Mean[i], 9);
                    Assert.Equal(low!.Value, line.Low[i], 9);
                    Assert.Equal(high!.Value, line.High[i], 9);
                }
            }
        }
        catch
        {
            await ShotAsync(page, "failure-big-sweep");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Pasted_json_spec_is_previewed_and_its_errors_named_by_path()
    {
        var page = await server.NewPageAsync();
        try
        {
            await page.GotoAsync(server.BaseUrl + "/sweeps/new");
            await InteractiveAsync(page);
            await page.GetByRole(AriaRole.Tab, new() { Name = "JSON" }).ClickAsync();
            await page.FillAsync("#spec-json", """{"name": "pasted", "task": {"kind": "countdown"}, "model": {"preset": "tiny"}, "arms": ["dsdr", "nope"], "seeds": [0]}""");
            var error = page.Locator("[data-testid=preview-error][data-path='$.arms[1]']");
            await Assertions.Expect(error).ToContainTextAsync("unknown arm");
            await page.FillAsync("#spec-json", """{"name": "pasted", "task": {"kind": "countdown"}, "model": {"preset": "tiny"}, "arms": ["dsdr"], "seeds": [0, 1, 2]}""");
            await Assertions.Expect(page.GetByTestId("trial-count")).ToHaveAttributeAsync("data-count", "3");
            await ShotAsync(page, "06-json-spec");

            // an uploaded file replaces the text and is previewed
            var file = Path.Combine(Path.GetTempPath(), $"dsdr-spec-{Guid.NewGuid():N}.json");
            await File.WriteAllTextAsync(file, """{"name": "uploaded", "task": {"kind": "arith"}, "model": {"preset": "tiny"}, "arms": ["grpo", "dapo"], "seeds": [0, 1]}""");
            try
            {
                await page.GetByTestId("spec-upload").SetInputFilesAsync(file);
                await Assertions.Expect(page.GetByTestId("upload-note")).ToContainTextAsync("Loaded");
                await Assertions.Expect(page.GetByTestId("trial-count")).ToHaveAttributeAsync("data-count", "4");
                await Assertions.Expect(page.Locator("#spec-json")).ToHaveValueAsync(new Regex("\"uploaded\""));
            }
            finally
            {
                File.Delete(file);
            }
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
