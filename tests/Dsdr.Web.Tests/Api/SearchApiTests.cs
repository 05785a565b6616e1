using System.Net;
using System.Text.Json.Nodes;
using Dsdr.Web.Services;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>POST /api/sweeps with a "search": the sampled points become trials; bad ranges are a 400 naming the field, nothing stored.</summary>
[Collection(WebApiCollection.Name)]
public sealed class SearchApiTests(WebApiFixture web)
{
    private static string WithSearch(string name, string search)
    {
        var spec = JsonNode.Parse(Spec(name, steps: 4, evalEvery: 2), documentOptions: new() { AllowTrailingCommas = true, CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!.AsObject();
        spec["search"] = JsonNode.Parse(search);
        return spec.ToJsonString();
    }

    [Fact]
    public async Task A_sobol_search_submits_its_budget_of_points_per_arm_with_the_sampled_values_in_the_rows()
    {
        using var client = web.Client();
        var spec = WithSearch("search-sobol", """{"method": "sobol", "trials": 3, "space": {"learningRate": {"min": 0.0001, "max": 0.01, "scale": "log"}}}""");
        var submit = await client.PostAsync("/api/sweeps", Json(spec));
        Assert.Equal(HttpStatusCode.Created, submit.StatusCode);
        Assert.Equal(2 * 3 * 2, (await submit.ReadAsync<SweepSubmitted>()).Trials); // 2 arms × 3 points × 2 seeds
        var sweep = await WaitForSweepAsync(client, "search-sobol", s => s.Trials.Count == 12, "the search's trials");
        // Sobol's first points after the origin: u = 0.5, 0.75, 0.25 → lr = 10^(-4 + 2u)
        Assert.Equal(["grpo lr=0.001", "grpo lr=0.003162", "grpo lr=0.0003162"], sweep.Trials.Where(t => t.Arm == "grpo").Select(t => t.Row).Distinct());

        // resubmitting the same spec draws the same points: a no-op
        var again = await client.PostAsync("/api/sweeps", Json(spec));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Theory]
    [InlineData("""{"method": "random", "trials": 4, "space": {"lambdaD": {"min": 0.5, "max": 0.1}}}""", "$.search.space.lambdaD")]
    [InlineData("""{"method": "random", "trials": 0, "space": {"lambdaD": {"min": 0, "max": 0.1}}}""", "$.search.trials")]
    [InlineData("""{"method": "sobol", "trials": 4, "space": {"lambdaD": {"min": 0, "max": 0.1, "scale": "log"}}}""", "$.search.space.lambdaD.min")]
    public async Task Bad_search_input_is_a_400_naming_the_field_and_nothing_is_stored(string search, string path)
    {
        using var client = web.Client();
        var name = $"bad-search-{Math.Abs(path.GetHashCode()) % 100000}";
        var response = await client.PostAsync("/api/sweeps", Json(WithSearch(name, search)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.ReadJsonAsync()).GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("path").GetString()).ToList();
        Assert.Contains(path, errors);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/sweeps/{name}")).StatusCode);
    }
}
