using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dsdr.Web.Services;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>Malformed sweep specs: each is a 400 problem whose "errors" name the bad field's JSON path; none is stored.</summary>
[Collection(WebApiCollection.Name)]
public sealed class MalformedSpecTests(WebApiFixture web)
{
    private const string Prefix = "malformed-";

    /// <summary>A valid spec to break: 2 arms × 2 seeds, 20 steps.</summary>
    private static JsonObject Valid(string name) => JsonNode.Parse($$$"""
        {
          "name": "{{{name}}}",
          "task": {"kind": "countdown", "numbers": 3, "numberRange": {"min": 1, "max": 20}},
          "model": {"preset": "countdown", "sft": {"steps": 10}},
          "base": {"totalSteps": 20},
          "arms": ["grpo", "dsdr"],
          "grid": {"lambdaD": [0.01, 0.1]},
          "seeds": [0, 1],
          "eval": {"everySteps": 10},
          "resources": {"device": "cpu", "memoryGiB": 1}
        }
        """)!.AsObject();

    /// <summary>(case, the JSON path an error must name, the spec text).</summary>
    private static readonly (string Case, string Path, Func<string, string> Spec)[] Cases =
    [
        ("not JSON", "$", _ => "this is not json"),
        ("truncated JSON", "$", n => Valid(n).ToJsonString()[..40]),
        ("an array, not an object", "$", _ => "[1, 2]"),
        ("empty body", "$", _ => ""),
        ("no name", "$.name", n => Mutate(n, s => s.Remove("name"))),
        ("name with spaces", "$.name", n => Mutate(n, s => s["name"] = "bad name!")),
        ("name is a number", "$.name", n => Mutate(n, s => s["name"] = 42)),
        ("misspelt top-level property", "$.sedes", n => Mutate(n, s => s["sedes"] = new JsonArray(1))),
        ("description is a number", "$.description", n => Mutate(n, s => s["description"] = 5)),
        ("no task", "$.task", n => Mutate(n, s => s.Remove("task"))),
        ("unknown task kind", "$.task.kind", n => Mutate(n, s => s["task"]!["kind"] = "chess")),
        ("five Countdown numbers", "$.task.numbers", n => Mutate(n, s => s["task"]!["numbers"] = 5)),
        ("number range min > max", "$.task.numberRange", n => Mutate(n, s => s["task"]!["numberRange"] = JsonNode.Parse("{\"min\": 30, \"max\": 2}"))),
        ("number range without max", "$.task.numberRange.max", n => Mutate(n, s => s["task"]!["numberRange"] = JsonNode.Parse("{\"min\": 3}"))),
        ("train size 0", "$.task.trainSize", n => Mutate(n, s => s["task"]!["trainSize"] = 0)),
        ("math task without trainPath", "$.task.trainPath", n => Mutate(n, s => s["task"] = JsonNode.Parse("{\"kind\": \"math\", \"benchmarks\": [{\"name\": \"m\", \"path\": \"/m.jsonl\"}]}"))),
        ("no model", "$.model", n => Mutate(n, s => s.Remove("model"))),
        ("preset and checkpoint", "$.model", n => Mutate(n, s => s["model"] = JsonNode.Parse("{\"preset\": \"tiny\", \"checkpoint\": \"/m\"}"))),
        ("unknown preset", "$.model.preset", n => Mutate(n, s => s["model"]!["preset"] = "huge")),
        ("SFT of 0 steps", "$.model.sft.steps", n => Mutate(n, s => s["model"]!["sft"]!["steps"] = 0)),
        ("no arms", "$.arms", n => Mutate(n, s => s["arms"] = new JsonArray())),
        ("arms as a string", "$.arms", n => Mutate(n, s => s["arms"] = "grpo")),
        ("unknown arm", "$.arms[1]", n => Mutate(n, s => s["arms"] = new JsonArray("grpo", "ppo"))),
        ("duplicate arm", "$.arms[1]", n => Mutate(n, s => s["arms"] = new JsonArray("grpo", "grpo"))),
        ("no seeds", "$.seeds", n => Mutate(n, s => s["seeds"] = new JsonArray())),
        ("duplicate seed", "$.seeds[1]", n => Mutate(n, s => s["seeds"] = new JsonArray(3, 3))),
        ("fractional seed", "$.seeds[0]", n => Mutate(n, s => s["seeds"] = new JsonArray(0.5))),
        ("learning rate as text", "$.base.learningRate", n => Mutate(n, s => s["base"]!["learningRate"] = "fast")),
        ("unknown hyper-parameter", "$.base.lambdaX", n => Mutate(n, s => s["base"]!["lambdaX"] = 1)),
        ("seed in base", "$.base.seed", n => Mutate(n, s => s["base"]!["seed"] = 1)),
        ("warm-up longer than training", "$.base.warmupSteps", n => Mutate(n, s => s["base"]!["warmupSteps"] = 500)),
        ("group of one", "$.base.groupSize", n => Mutate(n, s => s["base"]!["groupSize"] = 1)),
        ("empty grid axis", "$.grid.lambdaD", n => Mutate(n, s => s["grid"]!["lambdaD"] = new JsonArray())),
        ("grid value as text", "$.grid.lambdaD[0]", n => Mutate(n, s => s["grid"]!["lambdaD"] = new JsonArray("0.1"))),
        ("duplicate grid value", "$.grid.lambdaD[1]", n => Mutate(n, s => s["grid"]!["lambdaD"] = new JsonArray(0.1, 0.1))),
        ("grid axis no arm varies", "$.grid.tau", n => Mutate(n, s => { s["arms"] = new JsonArray("grpo"); s["grid"] = JsonNode.Parse("{\"tau\": [1, 5]}"); })),
        ("eval every 0 steps", "$.eval.everySteps", n => Mutate(n, s => s["eval"]!["everySteps"] = 0)),
        ("eval on an unknown benchmark", "$.eval.benchmarks[0]", n => Mutate(n, s => s["eval"]!["benchmarks"] = new JsonArray("MATH500"))),
        ("top-p above 1", "$.eval.pass1TopP", n => Mutate(n, s => s["eval"]!["pass1TopP"] = 1.5)),
        ("unknown device", "$.resources.device", n => Mutate(n, s => s["resources"]!["device"] = "tpu")),
        ("negative memory", "$.resources.memoryGiB", n => Mutate(n, s => s["resources"]!["memoryGiB"] = -1)),
        ("maxTrials 0", "$.maxTrials", n => Mutate(n, s => s["maxTrials"] = 0)),
        ("more trials than maxTrials", "$.maxTrials", n => Mutate(n, s => s["maxTrials"] = 3)),
    ];

    private static string Mutate(string name, Action<JsonObject> change)
    {
        var spec = Valid(name);
        change(spec);
        return spec.ToJsonString();
    }

    public static TheoryData<string> CaseNames() => [.. Cases.Select(c => c.Case)];

    [Fact]
    public void There_are_at_least_thirty_cases_and_the_unbroken_spec_is_valid()
    {
        Assert.True(Cases.Length >= 30, $"{Cases.Length} cases");
        Assert.Equal(Cases.Length, Cases.Select(c => c.Case).Distinct().Count());
        Assert.True(Core.Sweeps.SweepSpecParser.Parse(Valid(Prefix + "ok").ToJsonString()).IsValid);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task A_malformed_spec_is_a_400_naming_the_field(string caseName)
    {
        var index = Array.FindIndex(Cases, c => c.Case == caseName);
        var (_, path, spec) = Cases[index];
        using var client = web.Client();

        var response = await client.PostAsync("/api/sweeps", Json(spec($"{Prefix}{index:D2}")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.ReadJsonAsync();
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        var errors = problem.GetProperty("errors").EnumerateArray()
            .Select(e => (Path: e.GetProperty("path").GetString()!, Reason: e.GetProperty("reason").GetString()!)).ToList();
        Assert.Contains(errors, e => e.Path == path);
        Assert.All(errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Reason)));
        Assert.Contains(path, problem.GetProperty("detail").GetString());
        Assert.False(problem.TryGetProperty("exception", out _)); // no stack traces
    }

    [Fact]
    public async Task No_malformed_spec_is_stored()
    {
        using var client = web.Client();
        for (var i = 0; i < Cases.Length; i++)
            Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/sweeps", Json(Cases[i].Spec($"{Prefix}{i:D2}")))).StatusCode);

        var sweeps = await (await client.GetAsync("/api/sweeps?limit=1000")).ReadAsync<List<SweepListItem>>();
        Assert.DoesNotContain(sweeps, s => s.SweepId.StartsWith(Prefix, StringComparison.Ordinal));
        for (var i = 0; i < Cases.Length; i++)
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/sweeps/{Prefix}{i:D2}")).StatusCode);
    }
}
