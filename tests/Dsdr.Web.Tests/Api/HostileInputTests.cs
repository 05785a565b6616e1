using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dsdr.Core.Sweeps;
using Dsdr.Web.Hosting;
using Microsoft.Extensions.Configuration;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>
/// Issue 18's hostile and careless input through the real app (parts 1, 3, 6): absurd sizes, files outside the data roots,
/// queries for what was never evaluated, bad bytes, ids equal but for case, health details. Each refusal is a 400/409
/// problem naming the field or parameter, and nothing is stored.
/// </summary>
[Collection(WebApiCollection.Name)]
public sealed class HostileInputTests(WebApiFixture web)
{
    private async Task<JsonElement> RefusedAsync(HttpClient client, string name, string body, string path, string reason, HttpStatusCode status = HttpStatusCode.BadRequest)
    {
        var response = await client.PostAsync("/api/sweeps", Json(body));
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.ReadJsonAsync();
        if (status == HttpStatusCode.BadRequest)
        {
            var errors = problem.GetProperty("errors").EnumerateArray().Select(e => (Path: e.GetProperty("path").GetString(), Reason: e.GetProperty("reason").GetString()!)).ToList();
            Assert.True(errors.Any(e => e.Path == path && e.Reason.Contains(reason, StringComparison.Ordinal)),
                $"expected {path}: …{reason}… among {string.Join(" | ", errors)}");
        }
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/sweeps/{name}")).StatusCode); // nothing stored
        return problem;
    }

    private static string Valid(string name) => JsonNode.Parse(Http.Spec(name, steps: 4, evalEvery: 2, arms: "\"grpo\"", seeds: "0"),
        documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip })!.ToJsonString();

    private static string Changed(string name, Action<JsonObject> change)
    {
        var spec = JsonNode.Parse(Valid(name))!.AsObject();
        change(spec);
        return spec.ToJsonString();
    }

    [Theory] // issue 18: each accepted with 201 before
    [InlineData("hostile-group", "groupSize", "1000000", "must be ≤ 1024")]
    [InlineData("hostile-tokens", "maxNewTokens", "10000000", "must be ≤ 32768")]
    [InlineData("hostile-steps", "totalSteps", "2147483647", "must be ≤ 1000000")]
    [InlineData("hostile-rate", "learningRate", "1e308", "must be ≤ 1")]
    [InlineData("hostile-limit", "totalSteps", "200000", "limit of 100000 steps per trial (Dsdr:Limits:MaxStepsPerTrial)")]
    public async Task Absurd_sizes_and_rates_are_400_naming_the_field(string name, string key, string value, string reason)
    {
        using var client = web.Client();
        await RefusedAsync(client, name, Changed(name, s => s["base"] = JsonNode.Parse($"{{\"{key}\": {value}}}")), $"$.base.{key}", reason);
    }

    [Fact]
    public async Task A_trial_beyond_the_slot_memory_it_asks_for_is_400_with_the_estimate_and_the_limit()
    {
        using var client = web.Client();
        var spec = Changed("hostile-memory", s =>
        {
            s["base"] = JsonNode.Parse("{\"totalSteps\": 4, \"promptsPerStep\": 1024, \"groupSize\": 256, \"maxNewTokens\": 2048}");
            s["resources"] = JsonNode.Parse("{\"memoryGiB\": 4}");
        });
        await RefusedAsync(client, "hostile-memory", spec, "$.base.maxNewTokens", "asks for 4 GiB");
        var response = await client.PostAsync("/api/sweeps", Json(spec));
        var reason = (await response.ReadJsonAsync()).GetProperty("errors").EnumerateArray()
            .Select(e => e.GetProperty("reason").GetString()!).Single(r => r.Contains("needs about"));
        Assert.Matches(@"the trial needs about [\d.e]+ GiB \(.*rollout KV cache [\d.e]+ GiB for 1024 × 256 sequences", reason);
    }

    [Fact]
    public async Task A_task_with_too_few_problems_is_400_at_submission()
    {
        using var client = web.Client();
        var spec = Changed("hostile-tiny-task", s => s["task"] = JsonNode.Parse("{\"kind\": \"countdown\", \"numberRange\": {\"min\": 1, \"max\": 3}}"));
        await RefusedAsync(client, "hostile-tiny-task", spec, "$.task.trainSize", "distinct training problems");
    }

    private string MathSpec(string name, string trainPath, string benchmarkPath) => Changed(name, s =>
    {
        s["task"] = new JsonObject
        {
            ["kind"] = "math", ["trainPath"] = trainPath,
            ["benchmarks"] = new JsonArray(new JsonObject { ["name"] = "MATH500", ["path"] = benchmarkPath }),
        };
        s["model"] = JsonNode.Parse("{\"preset\": \"tiny\", \"sft\": {\"enabled\": false}}");
    });

    private string DataRoot => new DsdrWebOptions { DataDirectory = Path.Combine(web.Scratch, "unused-embedded") }.DefaultDataRoot();

    [Fact]
    public async Task Files_outside_the_data_roots_are_400_and_the_answer_shows_neither_the_file_nor_the_roots()
    {
        using var client = web.Client();
        var inside = Path.Combine(DataRoot, "math500.jsonl");
        var passwd = await RefusedAsync(client, "hostile-passwd", MathSpec("hostile-passwd", "/etc/passwd", inside), "$.task.trainPath", "outside the platform's data roots");
        var checkpoint = await RefusedAsync(client, "hostile-checkpoint",
            Changed("hostile-checkpoint", s => s["model"] = JsonNode.Parse("{\"checkpoint\": \"../../../../etc\"}")), "$.model.checkpoint", "is not an absolute path");
        var climbing = Path.Combine(DataRoot, "..", "..", "etc", "passwd");
        var dotDot = await RefusedAsync(client, "hostile-dotdot", MathSpec("hostile-dotdot", climbing, inside), "$.task.trainPath", "\"..\" segment");
        foreach (var problem in new[] { passwd, checkpoint, dotDot })
        {
            // what the caller wrote comes back; nothing else of the server's
            var text = problem.GetRawText().Replace("\\/", "/").Replace(climbing, "(the path sent)");
            Assert.DoesNotContain("root:", text);
            Assert.DoesNotContain(DataRoot, text);
            Assert.DoesNotContain(web.Scratch, text);
        }
    }

    [Fact]
    public async Task A_math_task_inside_the_data_roots_is_accepted()
    {
        using var client = web.Client();
        var response = await client.PostAsync("/api/sweeps", Json(MathSpec("hostile-math-inside", Path.Combine(DataRoot, "train.jsonl"), Path.Combine(DataRoot, "m.jsonl"))));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Invalid_utf8_is_400_not_a_silently_replaced_spec()
    {
        using var client = web.Client();
        var bytes = Encoding.UTF8.GetBytes(Changed("hostile-utf8", s => s["description"] = "Xbad"));
        var at = Array.IndexOf(bytes, (byte)'X');
        bytes[at] = 0xC3; // a lead byte without its continuation: invalid UTF-8
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var response = await client.PostAsync("/api/sweeps", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = Assert.Single((await response.ReadJsonAsync()).GetProperty("errors").EnumerateArray());
        Assert.Equal("$", error.GetProperty("path").GetString());
        Assert.Contains("not valid UTF-8", error.GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/api/sweeps/hostile-utf8")).StatusCode);
    }

    [Fact]
    public async Task Sweep_ids_are_unique_regardless_of_case()
    {
        using var client = web.Client();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/sweeps", Json(Valid("Hostile-Case")))).StatusCode);
        var problem = await RefusedAsync(client, "hostile-case", Valid("hostile-case"), "", "", HttpStatusCode.Conflict);
        Assert.Equal("Hostile-Case", problem.GetProperty("existingSweepId").GetString());
        Assert.Contains("unique regardless of case", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/api/sweeps", Json(Valid("Hostile-Case")))).StatusCode); // the same id again: idempotent
    }

    [Fact]
    public async Task Results_for_what_was_never_evaluated_are_400_naming_the_parameter_and_what_there_is()
    {
        using var client = web.Client();
        await client.PostAsync("/api/sweeps", Json(Valid("hostile-results")));
        await WaitForSweepAsync(client, "hostile-results", s => s.Sweep.Status == "completed", "sweep hostile-results to complete");

        async Task<JsonElement> Bad(string query, string parameter)
        {
            var response = await client.GetAsync($"/api/sweeps/hostile-results/results?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.ReadJsonAsync();
            Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
            return problem;
        }
        var step = await Bad("step=best:x:y", "step");
        Assert.Contains("unknown benchmark \"x\"", step.GetProperty("detail").GetString());
        var details = await (await client.GetAsync("/api/sweeps/hostile-results")).ReadAsync<Services.SweepDetails>();
        var benchmark = Assert.Single(details.Benchmarks);
        Assert.Contains($"this sweep's benchmarks: {benchmark}", step.GetProperty("detail").GetString());
        var metricOfStep = await Bad($"step=best:{benchmark}:y", "step");
        Assert.Contains("\"y\" is not evaluated", metricOfStep.GetProperty("detail").GetString());
        var k = await Bad("metric=pass@100000", "metric");
        Assert.Contains("\"pass@100000\" is not evaluated in this sweep; it has ", k.GetProperty("detail").GetString());
        Assert.Contains("pass@4", k.GetProperty("detail").GetString());
        Assert.Equal("step", (await (await client.GetAsync("/api/sweeps/hostile-results/report?step=best:x:y")).ReadJsonAsync()).GetProperty("parameter").GetString());

        // what was evaluated still answers
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/sweeps/hostile-results/results?metric=pass@4&step=best:{benchmark}:pass@4")).StatusCode);
    }

    [Fact]
    public async Task Before_any_evaluation_the_spec_says_what_will_be_evaluated()
    {
        using var client = web.Client();
        await client.PostAsync("/api/sweeps", Json(Changed("hostile-early", s => s["base"] = JsonNode.Parse("{\"totalSteps\": 10000}"))));
        await client.PostAsync("/api/sweeps/hostile-early/cancel", null);
        var response = await client.GetAsync("/api/sweeps/hostile-early/results?metric=avg@1000");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("avg@4", (await response.ReadJsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Health_details_are_for_signed_in_callers_only_here()
    {
        // the test server's requests come from no address, like a remote one
        using var anonymous = web.Client(withKey: false);
        var hidden = await (await anonymous.GetAsync("/health/ready")).ReadJsonAsync();
        Assert.All(hidden.GetProperty("checks").EnumerateArray(), c => Assert.Equal(JsonValueKind.Null, c.GetProperty("description").ValueKind));
        Assert.Equal("Healthy", hidden.GetProperty("status").GetString());

        using var signedIn = web.Client();
        var shown = await (await signedIn.GetAsync("/health/ready")).ReadJsonAsync();
        var postgres = shown.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "postgresql");
        Assert.Contains("reachable at", postgres.GetProperty("description").GetString());
    }

    [Fact]
    public void Limits_and_data_roots_are_read_from_configuration()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Dsdr:Limits:MaxTrialsPerSweep"] = "500",
            ["Dsdr:Limits:MaxStepsPerTrial"] = "2000",
            ["Dsdr:Limits:MaxTokensPerTrial"] = "1e9",
            ["Dsdr:Limits:MaxHoursPerTrial"] = "12",
            ["Dsdr:DataRoots"] = "/srv/data; /mnt/models",
        }).Build();
        var options = DsdrWebOptions.FromConfiguration(configuration, includeEnvironment: false);
        var spec = options.SpecOptions();
        Assert.Equal((500, 2000, 1_000_000_000L, (double?)12), (spec.MaxTrialsCeiling, spec.Limits.MaxStepsPerTrial, spec.Limits.MaxTokensPerTrial, spec.Limits.MaxHoursPerTrial));
        Assert.Equal(["/srv/data", "/mnt/models"], spec.DataRoots);
        Assert.Contains("limit of 2000 steps", string.Join(" ", SweepSpecParser.Parse(Changed("t", s => s["base"] = JsonNode.Parse("{\"totalSteps\": 2001}")), spec).Errors));

        var defaults = new DsdrWebOptions { DataDirectory = "/var/lib/dsdr/serve/postgres" }.SpecOptions();
        Assert.Equal(["/var/lib/dsdr/serve/datasets"], defaults.DataRoots);
        Assert.Equal(SpecLimitOptions.Default, defaults.Limits);
    }

    [Theory]
    [InlineData("Dsdr:Limits:MaxStepsPerTrial", "0")]
    [InlineData("Dsdr:Limits:MaxTokensPerTrial", "lots")]
    [InlineData("Dsdr:Limits:MaxHoursPerTrial", "-1")]
    [InlineData("Dsdr:DataRoots", "relative/folder")]
    public void A_bad_limit_or_root_throws_naming_the_setting(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var ex = Assert.Throws<ArgumentException>(() => DsdrWebOptions.FromConfiguration(configuration, includeEnvironment: false));
        Assert.Contains(key, ex.Message);
    }
}
