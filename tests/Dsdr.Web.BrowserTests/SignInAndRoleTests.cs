using System.Net.Http.Json;
using System.Text.Json;
using Dsdr.Web.Security;
using Microsoft.Playwright;

namespace Dsdr.Web.BrowserTests;

/// <summary>Sign-in and roles in a real browser: who gets which buttons, and the server refusing what the page would not offer.</summary>
public sealed class SignInAndRoleTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    private const string Spec = """{"name": "%NAME%", "task": {"kind": "countdown"}, "model": {"preset": "tiny"}, "base": {"totalSteps": 400}, "arms": ["grpo"], "seeds": [0]}""";

    private async Task<string> SubmitLongSweepAsync()
    {
        var name = $"roles-{Guid.NewGuid():N}"[..14];
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        http.DefaultRequestHeaders.Add("X-Api-Key", DashboardServer.ApiKey);
        var answer = await http.PostAsync("/api/sweeps", new StringContent(Spec.Replace("%NAME%", name), System.Text.Encoding.UTF8, "application/json"));
        answer.EnsureSuccessStatusCode();
        return name;
    }

    private async Task<string> StatusAsync(string sweep)
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.BaseUrl) };
        var json = await http.GetFromJsonAsync<JsonElement>($"/api/sweeps/{sweep}");
        return json.GetProperty("sweep").GetProperty("status").GetString()!;
    }

    [Fact]
    public async Task Anonymous_and_viewers_get_no_submit_or_cancel_button_and_an_operator_does()
    {
        var sweep = await SubmitLongSweepAsync();
        var page = await server.NewPageAsync();
        try
        {
            // anonymous (this loopback single node lets it read)
            await page.GotoAsync($"{server.BaseUrl}/sweeps/{sweep}");
            await DashboardServer.InteractiveAsync(page);
            await Assertions.Expect(page.GetByTestId("sweep-name")).ToHaveTextAsync(sweep);
            await Assertions.Expect(page.GetByTestId("sign-in-link")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("cancel-sweep")).ToHaveCountAsync(0);
            await page.GotoAsync($"{server.BaseUrl}/sweeps/new");
            await DashboardServer.InteractiveAsync(page);
            await Assertions.Expect(page.GetByTestId("operators-only")).ToBeVisibleAsync();
            await Assertions.Expect(page.GetByTestId("submit-sweep")).ToHaveCountAsync(0);

            // a wrong password: the form says so, nobody is signed in
            await page.GotoAsync($"{server.BaseUrl}/signin");
            await page.FillAsync("#signin-user", "vera");
            await page.FillAsync("#signin-secret", "not-her-password");
            await page.GetByTestId("signin-submit").ClickAsync();
            await Assertions.Expect(page.GetByTestId("signin-error")).ToBeVisibleAsync();
            await Assertions.Expect(page.Locator("#signin-secret")).ToHaveValueAsync("");
            await page.ScreenshotAsync(new() { Path = Path.Combine(DashboardServer.ScreenshotDirectory, "07-sign-in.png") });

            // a viewer
            await server.SignInAsync(page, "vera", DashboardServer.ViewerPassword, $"/sweeps/{sweep}");
            await DashboardServer.InteractiveAsync(page);
            await Assertions.Expect(page.GetByTestId("signed-in-as")).ToHaveAttributeAsync("data-role", DsdrRoles.Viewer);
            await Assertions.Expect(page.GetByTestId("sweep-name")).ToHaveTextAsync(sweep);
            await Assertions.Expect(page.GetByTestId("cancel-sweep")).ToHaveCountAsync(0);
            await page.GotoAsync($"{server.BaseUrl}/sweeps/new");
            await DashboardServer.InteractiveAsync(page);
            await Assertions.Expect(page.GetByTestId("operators-only")).ToContainTextAsync("signed in as vera");
            await Assertions.Expect(page.GetByTestId("submit-sweep")).ToHaveCountAsync(0);
            await page.GetByTestId("sign-out").ClickAsync();
            await Assertions.Expect(page.GetByTestId("sign-in-link")).ToBeVisibleAsync();

            // an operator cancels
            await server.SignInAsync(page, "olga", DashboardServer.OperatorPassword, $"/sweeps/{sweep}");
            await DashboardServer.InteractiveAsync(page);
            await Assertions.Expect(page.GetByTestId("signed-in-as")).ToHaveAttributeAsync("data-role", DsdrRoles.Operator);
            await page.GetByTestId("cancel-sweep").ClickAsync();
            await Assertions.Expect(page.Locator("[data-testid=sweep-status] [data-status=cancelled]")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task A_cancel_from_a_page_whose_operator_was_demoted_meanwhile_is_refused_by_the_server()
    {
        var sweep = await SubmitLongSweepAsync();
        var page = await server.NewPageAsync();
        try
        {
            await server.SignInAsync(page, "olga", DashboardServer.OperatorPassword, $"/sweeps/{sweep}");
            await DashboardServer.InteractiveAsync(page);
            var cancel = page.GetByTestId("cancel-sweep");
            await Assertions.Expect(cancel).ToBeVisibleAsync();
            // the circuit still believes its cookie; the store now says viewer: the click reaches the handler, the platform refuses
            server.Users.AddOrReplace("olga", DsdrRoles.Viewer, DashboardServer.OperatorPassword);
            try
            {
                await cancel.ClickAsync();
                await Assertions.Expect(page.GetByTestId("cancel-error")).ToContainTextAsync("needs the operator role");
                Assert.NotEqual("cancelled", await StatusAsync(sweep));
            }
            finally
            {
                server.Users.AddOrReplace("olga", DsdrRoles.Operator, DashboardServer.OperatorPassword);
            }
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task The_api_key_signs_in_and_appears_in_no_page_source_and_no_url()
    {
        var page = await server.NewPageAsync();
        var urls = new List<string>();
        page.Request += (_, request) => urls.Add(request.Url);
        try
        {
            await server.SignInAsync(page, null, DashboardServer.ApiKey, "/sweeps/new");
            await DashboardServer.InteractiveAsync(page);
            await Assertions.Expect(page.GetByTestId("submit-sweep")).ToBeVisibleAsync();
            foreach (var path in new[] { "/sweeps/new", "/", "/pool", "/signin" })
            {
                var response = await page.GotoAsync(server.BaseUrl + path);
                Assert.DoesNotContain(DashboardServer.ApiKey, await response!.TextAsync()); // as served
                if (path != "/signin") await DashboardServer.InteractiveAsync(page);
                Assert.DoesNotContain(DashboardServer.ApiKey, await page.ContentAsync()); // as the circuit rendered it
            }
            Assert.NotEmpty(urls);
            Assert.DoesNotContain(urls, u => u.Contains(DashboardServer.ApiKey));
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
