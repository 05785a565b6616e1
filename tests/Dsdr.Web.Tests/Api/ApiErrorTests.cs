using System.Net;
using System.Text.Json;
using Dsdr.Web.Services;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>The API key on mutating routes, not-found answers, bad query parameters, the OpenAPI document and reference page.</summary>
[Collection(WebApiCollection.Name)]
public sealed class ApiErrorTests(WebApiFixture web)
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("wrong-key-0123456789")]
    [InlineData(WebApiFixture.ApiKey + "x")]
    public async Task Post_routes_without_the_right_key_are_401_naming_the_header_and_change_nothing(string? key)
    {
        using var client = web.Client(withKey: false);
        if (key is not null) client.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key);

        var submit = await client.PostAsync("/api/sweeps", Json(Spec("unauthorised")));
        var cancel = await client.PostAsync("/api/sweeps/unauthorised/cancel", null);

        foreach (var response in new[] { submit, cancel })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.ReadJsonAsync();
            Assert.Contains("X-Api-Key", problem.GetProperty("title").GetString());
            Assert.Contains("X-Api-Key", problem.GetProperty("detail").GetString());
            Assert.Contains("X-Api-Key", response.Headers.WwwAuthenticate.ToString());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/sweeps/unauthorised")).StatusCode);
    }

    [Fact]
    public async Task Read_routes_need_no_key()
    {
        using var client = web.Client(withKey: false);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/sweeps")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/pool")).StatusCode);
    }

    [Theory]
    [InlineData("GET", "/api/sweeps/no-such-sweep", "sweep", "no-such-sweep")]
    [InlineData("POST", "/api/sweeps/no-such-sweep/cancel", "sweep", "no-such-sweep")]
    [InlineData("GET", "/api/sweeps/no-such-sweep/results", "sweep", "no-such-sweep")]
    [InlineData("GET", "/api/sweeps/no-such-sweep/results?format=latex", "sweep", "no-such-sweep")]
    [InlineData("GET", "/api/trials/0000000000000000", "trial", "0000000000000000")]
    [InlineData("GET", "/api/trials/0000000000000000/metrics", "trial", "0000000000000000")]
    [InlineData("GET", "/api/trials/0000000000000000/rollouts", "trial", "0000000000000000")]
    [InlineData("GET", "/api/problems/countdown/no-such-problem", "problem", "countdown/no-such-problem")]
    public async Task Unknown_ids_are_404_problems_naming_the_id(string method, string url, string what, string id)
    {
        using var client = web.Client();
        var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), url));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.ReadJsonAsync();
        Assert.Equal($"No such {what}", problem.GetProperty("title").GetString());
        Assert.Contains($"'{id}'", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_unknown_api_route_is_a_404_problem()
    {
        using var client = web.Client();
        var response = await client.GetAsync("/api/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("format=xml", "format", "json, csv, markdown, latex")]
    [InlineData("format=", "format", "json, csv, markdown, latex")]
    [InlineData("metric=accuracy", "metric", "unknown metric \"accuracy\"")]
    [InlineData("metric=avg", "metric", "needs its k")]
    [InlineData("metric=pass1@4", "metric", "takes no k")]
    [InlineData("metric=avg@0", "metric", "avg@0")]
    [InlineData("metric=avg@16,,pass@16", "metric", "empty item")]
    [InlineData("step=latest", "step", "best:<benchmark>:<metric>")]
    [InlineData("backbone=maybe", "backbone", "true or false")]
    [InlineData("reference=dapo", "reference", "\"dapo\" is not a row of this table")]
    [InlineData("reference=%20", "reference", "is empty")]
    public async Task Bad_result_parameters_are_400_naming_the_parameter(string query, string parameter, string hint)
    {
        using var client = web.Client();
        // A sweep that exists, so the answer is about the parameter and not the id.
        await client.PostAsync("/api/sweeps", Json(Spec("params", steps: 2, arms: "\"grpo\"", seeds: "0")));

        var response = await client.GetAsync($"/api/sweeps/params/results?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadJsonAsync();
        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
        Assert.Contains(parameter, problem.GetProperty("title").GetString());
        Assert.Contains(hint, problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/api/sweeps?limit=0", "limit")]
    [InlineData("/api/sweeps?limit=ten", "limit")]
    [InlineData("/api/sweeps?offset=-1", "offset")]
    [InlineData("/api/trials/{trial}/metrics?maxPoints=1", "maxPoints")]
    [InlineData("/api/trials/{trial}/metrics?names=no/such/metric", "names")]
    [InlineData("/api/trials/{trial}/rollouts?step=last", "step")]
    public async Task Other_bad_parameters_are_400_naming_the_parameter(string url, string parameter)
    {
        using var client = web.Client();
        await client.PostAsync("/api/sweeps", Json(Spec("params", steps: 2, arms: "\"grpo\"", seeds: "0")));
        var sweep = await WaitForSweepAsync(client, "params", s => s.Trials.Count == 1, "the params sweep's trial row");

        var response = await client.GetAsync(url.Replace("{trial}", sweep.Trials[0].TrialId));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(parameter, (await response.ReadJsonAsync()).GetProperty("parameter").GetString());
    }

    [Fact]
    public async Task Rollouts_of_a_step_without_groups_are_a_404_listing_the_recorded_steps()
    {
        using var client = web.Client();
        await client.PostAsync("/api/sweeps", Json(Spec("params", steps: 2, arms: "\"grpo\"", seeds: "0")));
        var sweep = await WaitForSweepAsync(client, "params", s => s.Trials.Count == 1, "the params sweep's trial row");

        var response = await client.GetAsync($"/api/trials/{sweep.Trials[0].TrialId}/rollouts?step=999999");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("step 999999", (await response.ReadJsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_every_route_and_the_api_key_scheme()
    {
        using var client = web.Client(withKey: false);
        var response = await client.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await response.ReadJsonAsync();

        var paths = document.GetProperty("paths");
        var routes = new (string Path, string Method)[]
        {
            ("/api/sweeps", "post"), ("/api/sweeps", "get"), ("/api/sweeps/{id}", "get"), ("/api/sweeps/{id}/cancel", "post"),
            ("/api/sweeps/{id}/results", "get"), ("/api/sweeps/{id}/report", "get"), ("/api/sweeps/{id}/export", "get"), ("/api/sweeps/{id}/coverage", "get"), ("/api/trials/{id}", "get"), ("/api/trials/{id}/metrics", "get"),
            ("/api/trials/{id}/rollouts", "get"), ("/api/pool", "get"), ("/api/problems/{dataset}/{id}", "get"),
        };
        foreach (var (path, method) in routes)
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is missing");
            Assert.True(item.TryGetProperty(method, out var operation), $"{method.ToUpperInvariant()} {path} is missing");
            var secured = operation.TryGetProperty("security", out var security) && security.GetRawText().Contains("ApiKey");
            Assert.Equal(method == "post", secured);
        }
        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey");
        Assert.Equal(("apiKey", "header", "X-Api-Key"),
            (scheme.GetProperty("type").GetString(), scheme.GetProperty("in").GetString(), scheme.GetProperty("name").GetString()));
        var results = paths.GetProperty("/api/sweeps/{id}/results").GetProperty("get").GetProperty("parameters").EnumerateArray()
            .Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Contains("format", results);
        Assert.Contains("metric", results);
    }

    [Fact]
    public async Task The_Scalar_reference_page_is_served()
    {
        using var client = web.Client(withKey: false);
        var response = await client.GetAsync("/scalar/v1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("Dsdr API", html);
        Assert.Contains("openapi", html);
    }

    [Fact]
    public async Task Answers_are_camel_case_json_with_lower_case_statuses()
    {
        using var client = web.Client();
        await client.PostAsync("/api/sweeps", Json(Spec("params", steps: 2, arms: "\"grpo\"", seeds: "0")));
        var list = (await (await client.GetAsync("/api/sweeps")).ReadJsonAsync()).EnumerateArray().ToList();
        var sweep = list.Single(s => s.GetProperty("sweepId").GetString() == "params");
        Assert.Contains(sweep.GetProperty("status").GetString(), new[] { "queued", "running", "completed" });
        Assert.Equal(JsonValueKind.Number, sweep.GetProperty("trials").ValueKind);
    }
}
