using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Dsdr.Web.BrowserTests;

/// <summary>
/// A spec of ~600 KB pasted into the new-sweep page's JSON tab is previewed and submitted whole (the circuit's message
/// limit was 32 KB: at 25 KB the connection dropped and Submit sent the form's default spec); Submit takes the text the
/// page shows, also when the server never heard of it.
/// </summary>
public sealed class LargeSpecPasteTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    private const int DescriptionLength = 600_000;

    private static string Spec(string name) =>
        $$"""{"name": "{{name}}", "description": "{{new string('d', DescriptionLength)}}", "task": {"kind": "countdown"}, "model": {"preset": "tiny"}, "arms": ["grpo"], "seeds": [0]}""";

    [Fact]
    public async Task A_600_KB_pasted_spec_is_previewed_and_submitted_exactly_as_shown()
    {
        var previewed = $"paste-a-{Guid.NewGuid():N}"[..16];
        var shown = $"paste-b-{Guid.NewGuid():N}"[..16];
        var page = await server.NewPageAsync();
        try
        {
            await server.SignInAsync(page, null, DashboardServer.ApiKey, "/sweeps/new");
            await DashboardServer.InteractiveAsync(page);
            var sweepsBefore = await SweepCountAsync();
            await page.GetByRole(AriaRole.Tab, new() { Name = "JSON" }).ClickAsync();
            await page.FillAsync("#spec-json", Spec(previewed));
            await Assertions.Expect(page.GetByTestId("trial-breakdown")).ToContainTextAsync(previewed);
            await Assertions.Expect(page.GetByTestId("trial-count")).ToHaveAttributeAsync("data-count", "1");

            // the page now shows another spec the server was never told of: Submit must send that one, not the previewed one
            await page.EvaluateAsync("([id, text]) => { document.getElementById(id).value = text; }", new object[] { "spec-json", Spec(shown) });
            await page.GetByTestId("submit-sweep").ClickAsync();
            await page.WaitForURLAsync(new Regex($"/sweeps/{shown}$"));

            var dataSource = await server.DataSourceAsync(); // the host's own: not disposed here
            await using var command = dataSource.CreateCommand("SELECT sweep_id, length(spec->>'description') FROM sweeps WHERE sweep_id = ANY(@ids)");
            command.Parameters.AddWithValue("ids", new[] { previewed, shown });
            var stored = new List<(string, int)>();
            await using (var reader = await command.ExecuteReaderAsync())
                while (await reader.ReadAsync()) stored.Add((reader.GetString(0), reader.GetInt32(1)));
            Assert.Equal([(shown, DescriptionLength)], stored);
            Assert.Equal(sweepsBefore + 1, await SweepCountAsync()); // nothing else (no form default) was submitted
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_spec_over_1_MiB_is_refused_in_the_preview_and_cannot_be_submitted()
    {
        var page = await server.NewPageAsync();
        try
        {
            await server.SignInAsync(page, null, DashboardServer.ApiKey, "/sweeps/new");
            await DashboardServer.InteractiveAsync(page);
            await page.GetByRole(AriaRole.Tab, new() { Name = "JSON" }).ClickAsync();
            var big = Spec("paste-too-big").Replace(new string('d', DescriptionLength), new string('d', 1_100_000));
            await page.FillAsync("#spec-json", big);
            await Assertions.Expect(page.Locator("[data-testid=preview-error][data-path='$']")).ToContainTextAsync("up to 1024 KiB");
            await Assertions.Expect(page.GetByTestId("submit-sweep")).ToBeDisabledAsync();
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    private async Task<long> SweepCountAsync()
    {
        var dataSource = await server.DataSourceAsync();
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM sweeps");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
