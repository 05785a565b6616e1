using System.Net;
using System.Text.Json.Nodes;
using Dsdr.Core.Runs;
using Dsdr.Storage;
using Dsdr.Storage.Repositories;
using Dsdr.Web.Services;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>
/// POST /api/sweeps with an "earlyStopping" block: a bad rule is a 400 naming the field, nothing stored; a good one stops
/// trials, which the API shows as "stopped" with their reason, and the result tables note as "stopped early".
/// </summary>
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

    [Fact]
    public async Task A_stopped_trial_shows_its_status_and_reason_and_the_results_note_it_as_stopped_early()
    {
        const string reason = "stopped by ASHA at rung 10: reward/mean = 0.3012 is not in the top 1/3 of the 4 trials that reached it (its top 1/3 reach 0.3321)";
        await using (var database = DsdrDatabase.FromConnectionString(web.ConnectionString, migrate: false))
        {
            var t0 = new DateTime(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);
            await new SweepRepository(database).InsertAsync(new NewSweep("stopped-api", "stopped-api", """{"name":"stopped-api"}"""));
            var trials = new TrialRepository(database);
            await trials.InsertAsync([
                new NewTrial("stopped-api-d0", "stopped-api", "dsdr", "dsdr", 0, """{"simulation":{"steps":40}}"""),
                new NewTrial("stopped-api-d1", "stopped-api", "dsdr", "dsdr", 1, """{"simulation":{"steps":40}}""")]);
            // the trials table takes the new state (migration 0010)
            Assert.True(await trials.SyncAsync(new TrialSync("stopped-api-d0", TrialStatus.Stopped, 1, null, null, 10, "/ckpt/d0/step-000010", 10, reason, t0, t0.AddMinutes(1))));
            Assert.True(await trials.SyncAsync(new TrialSync("stopped-api-d1", TrialStatus.Stopped, 1, null, null, 10, null, null, reason, t0, t0.AddMinutes(1))));
        }
        using var client = web.Client();
        var sweep = await (await client.GetAsync("/api/sweeps/stopped-api")).ReadAsync<SweepDetails>();
        var trial = sweep.Trials.Single(t => t.TrialId == "stopped-api-d0");
        Assert.Equal(("stopped", reason, 10), (trial.Status, trial.Error, trial.Step));
        Assert.Equal((2, 1.0), (sweep.Sweep.Stopped, sweep.Sweep.Progress));
        var json = await (await client.GetAsync("/api/sweeps/stopped-api/results")).ReadJsonAsync();
        Assert.Equal(["dsdr: 2 trials stopped early (stopped by ASHA at rung 10)"],
            json.GetProperty("missing").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task A_sweep_with_asha_ends_completed_and_each_trial_it_stopped_stopped_at_the_rung_with_its_reason()
    {
        using var client = web.Client();
        const string name = "asha-live";
        var spec = JsonNode.Parse(WithStopping(name, """{"asha": {"metric": "reward/mean", "rungs": [10], "reductionFactor": 2}}"""))!.AsObject();
        spec["seeds"] = new JsonArray(0, 1, 2, 3);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/sweeps", Json(spec.ToJsonString()))).StatusCode);
        var done = await WaitForSweepAsync(client, name, s => s.Sweep.Status is not ("queued" or "running"), "the sweep to finish", seconds: 90);
        Assert.Equal("completed", done.Sweep.Status);
        Assert.Equal(8, done.Trials.Count);
        Assert.All(done.Trials, t => Assert.Contains(t.Status, new[] { "completed", "stopped" }));
        foreach (var t in done.Trials.Where(t => t.Status == "stopped"))
        {
            Assert.StartsWith("stopped by ASHA at rung 10: reward/mean = ", t.Error);
            Assert.Equal(10, t.Step);
        }
        Assert.All(done.Trials.Where(t => t.Status == "completed"), t => Assert.Equal((20, null), (t.Step, t.Error)));
        Assert.Equal(done.Trials.Count(t => t.Status == "stopped"), done.Sweep.Stopped);
    }
}
