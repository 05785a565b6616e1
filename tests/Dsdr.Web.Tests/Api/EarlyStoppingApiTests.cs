using System.Net;
using System.Text.Json.Nodes;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>POST /api/sweeps with an "earlyStopping" block: a bad rule is a 400 naming the field, nothing stored.</summary>
[Collection(WebApiCollection.Name)]
public sealed class EarlyStoppingApiTests(WebApiFixture web)
{
    private static string WithStopping(string name, string earlyStopping)
    {
        var spec = JsonNode.Parse(Spec(name, steps: 20, evalEvery: 10), documentOptions: new() { AllowTrailingCommas = true, CommentHandling = System.Text.Json.JsonCommentHandling.Skip })!.AsObject();
        spec["earlyStopping"] = JsonNode.Parse(earlyStopping);
        return spec.ToJsonString();
    }

    [Theory]
    [InlineData("""{"asha": {"metric": "eval/countdown/avg@4", "rungs": [10, 20]}}""", "$.earlyStopping.asha.rungs[1]", "not below the trials' total steps 20")]
    [InlineData("""{"asha": {"metric": "reward/mean", "rungs": [5], "reductionFactor": 1}}""", "$.earlyStopping.asha.reductionFactor", "must be ≥ 2")]
    [InlineData("""{"asha": {"metric": "eval/countdown/avg@4", "rungs": [5]}}""", "$.earlyStopping.asha.rungs[0]", "not an evaluation step")]
    [InlineData("""{"asha": {"metric": "reward/best", "rungs": [5]}}""", "$.earlyStopping.asha.metric", "unknown metric")]
    [InlineData("""{"diversityCollapse": {"metric": "eval/countdown/distinct", "fraction": 1.5}}""", "$.earlyStopping.diversityCollapse.fraction", "must be in (0, 1)")]
    [InlineData("""{"diversityCollapse": {"metric": "eval/math/distinct", "fraction": 0.5}}""", "$.earlyStopping.diversityCollapse.metric", "does not evaluate")]
    public async Task Bad_early_stopping_is_a_400_naming_the_field_and_nothing_is_stored(string earlyStopping, string path, string reason)
    {
        using var client = web.Client();
        var name = $"bad-stopping-{Math.Abs((path + reason).GetHashCode()) % 100000}";
        var response = await client.PostAsync("/api/sweeps", Json(WithStopping(name, earlyStopping)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.ReadJsonAsync()).GetProperty("errors").EnumerateArray()
            .Select(e => (Path: e.GetProperty("path").GetString(), Reason: e.GetProperty("reason").GetString() ?? "")).ToList();
        Assert.Contains(errors, e => e.Path == path && e.Reason.Contains(reason, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/sweeps/{name}")).StatusCode);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_early_stopping_block()
    {
        using var client = web.Client(withKey: false);
        var text = await client.GetStringAsync("/openapi/v1.json");
        var stopping = JsonNode.Parse(text)!["components"]!["schemas"]!["SweepSpecDocument"]!["properties"]!["earlyStopping"]!;
        Assert.NotNull(stopping["properties"]!["asha"]!["properties"]!["rungs"]);
        Assert.NotNull(stopping["properties"]!["diversityCollapse"]!["properties"]!["fraction"]);
    }
}
