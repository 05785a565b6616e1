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
            await Assertions.Expect(dsdr.GetByTestId("result-cell").First).ToHaveTextAsync(new Regex(@"^\d+\.\d+ ± \d+\.\d+$")); // mean ± std over 2 seeds, as many decimals as tell the rows apart
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
            Assert.Contains("dsdr (2 seeds),", csvText);
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
            await Assertions.Expect(page.Locator("[data-testid=compare-chart-legend] li")).ToHaveCountAsync(4);
            await Assertions.Expect(page.GetByTestId("compare-row")).ToHaveCountAsync(4);
            await page.Locator("input[data-testid=compare-trial], [data-testid=compare-trial] input").First.UncheckAsync();
            await page.WaitForURLAsync(new Regex("/compare\\?trials=[^&]+&metric="));
            await Assertions.Expect(page.GetByTestId("compare-row")).ToHaveCountAsync(3);
            var shared = page.Url;
            var other = await server.NewPageAsync();
            try
            {
                await other.GotoAsync(shared);
                await Assertions.Expect(other.GetByTestId("compare-row")).ToHaveCountAsync(3);
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
