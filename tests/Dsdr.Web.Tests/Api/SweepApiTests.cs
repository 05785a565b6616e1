using System.Net;
using System.Text.Json;
using Dsdr.Core.Sweeps;
using Dsdr.Storage;
using Dsdr.Storage.Repositories;
using Dsdr.Web.Services;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>The API end to end on the co-hosted silo: submit, list, run to completion, results, trials, metrics, rollouts, pool, problems, cancel.</summary>
[Collection(WebApiCollection.Name)]
public sealed class SweepApiTests(WebApiFixture web, Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task A_sweep_runs_end_to_end_and_every_read_route_shows_it()
    {
        using var client = web.Client();
        var spec = Spec("e2e");

        // Submit: 201 with the sweep's location and its trial count (2 arms × 2 seeds).
        var submit = await client.PostAsync("/api/sweeps", Json(spec));
        Assert.Equal(HttpStatusCode.Created, submit.StatusCode);
        Assert.Equal("/api/sweeps/e2e", submit.Headers.Location?.OriginalString);
        Assert.Equal(new SweepSubmitted("e2e", 4, true), await submit.ReadAsync<SweepSubmitted>());

        // Listed.
        var list = await (await client.GetAsync("/api/sweeps")).ReadAsync<List<SweepListItem>>();
        Assert.Contains(list, s => s.SweepId == "e2e" && s.Trials == 4);

        // Runs to completion on the two simulated slots.
        var done = await WaitForSweepAsync(client, "e2e", s => s.Sweep.Status == "completed", "sweep e2e to complete");
        Assert.Equal((4, 4), (done.Sweep.Trials, done.Sweep.Completed));
        Assert.Equal(1.0, done.Sweep.Progress);
        var expected = SweepExpander.Expand(SweepSpecParser.Parse(spec).GetSpecOrThrow());
        Assert.Equal(expected.Select(t => t.TrialId), done.Trials.Select(t => t.TrialId)); // expansion order
        Assert.All(done.Trials, t => Assert.Equal(("completed", 20, 20, 1), (t.Status, t.Step, t.TotalSteps, t.Attempts)));
        Assert.Equal(["grpo", "dsdr"], done.Arms);
        Assert.Equal(["simulated"], done.Benchmarks); // the simulated runner's evaluations name their benchmark "simulated"
        Assert.Equal("e2e", SweepSpecParser.Parse(done.SpecJson).GetSpecOrThrow().Name);

        // Results: the JSON table's cells are the mean over seeds of each trial's final evaluation in the evals table.
        await using var database = DsdrDatabase.FromConnectionString(web.ConnectionString, migrate: false);
        var evals = new EvalRepository(database);
        var finals = new Dictionary<string, IReadOnlyList<EvalRow>>();
        foreach (var t in done.Trials) finals[t.TrialId] = await evals.ListByTrialAsync(t.TrialId);
        Assert.All(finals.Values, rows => Assert.NotEmpty(rows));

        var json = await client.GetAsync("/api/sweeps/e2e/results?format=json&metric=avg@4,pass@4");
        Assert.Equal(HttpStatusCode.OK, json.StatusCode);
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);
        var table = await json.ReadJsonAsync();
        Assert.Equal(["simulated Avg@4", "simulated pass@4"], table.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("label").GetString()));
        var rows = table.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["Backbone", "grpo", "dsdr"], rows.Select(r => r.GetProperty("row").GetString()));
        foreach (var (row, arm) in new[] { (rows[1], "grpo"), (rows[2], "dsdr") })
        {
            var perSeed = done.Trials.Where(t => t.Arm == arm).Select(t =>
            {
                var mine = finals[t.TrialId];
                var last = mine.Max(e => e.Step);
                return mine.Single(e => e.Step == last && e.Metric == "avg" && e.K == 4).Value;
            }).ToList();
            var cell = row.GetProperty("cells")[0];
            Assert.Equal(perSeed.Average(), cell.GetProperty("mean").GetDouble(), 12);
            Assert.Equal(2, cell.GetProperty("n").GetInt32());
            // the bootstrap interval (over the simulated runner's per-problem rows and the seeds) holds the mean
            Assert.InRange(cell.GetProperty("mean").GetDouble(), cell.GetProperty("ciLow").GetDouble(), cell.GetProperty("ciHigh").GetDouble());
            // the paired difference against grpo, on dsdr's cells only
            if (arm == "grpo") Assert.False(cell.TryGetProperty("delta", out _));
            else
            {
                var delta = cell.GetProperty("delta");
                Assert.Equal("grpo", delta.GetProperty("reference").GetString());
                var grpoMean = rows[1].GetProperty("cells")[0].GetProperty("mean").GetDouble();
                Assert.Equal(cell.GetProperty("mean").GetDouble() - grpoMean, delta.GetProperty("mean").GetDouble(), 9);
                Assert.InRange(delta.GetProperty("p").GetDouble(), 0, 1);
            }
        }
        Assert.True(table.GetProperty("statistics").GetProperty("problemLevel").GetBoolean());

        // ?reference= picks another row: the Backbone's cells now carry a difference against dsdr
        var vsDsdr = await (await client.GetAsync("/api/sweeps/e2e/results?format=json&metric=avg@4&reference=dsdr")).ReadJsonAsync();
        Assert.Equal("dsdr", vsDsdr.GetProperty("rows")[0].GetProperty("cells")[0].GetProperty("delta").GetProperty("reference").GetString());

        var csv = await client.GetAsync("/api/sweeps/e2e/results?format=csv&metric=avg@4,pass@4");
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        var csvLines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries); // RFC 4180 line ends
        Assert.Equal("row,arm,benchmark,metric,k,mean,std,n,ci_low,ci_high,delta_reference,delta_mean,delta_ci_low,delta_ci_high,delta_p,delta_significant", csvLines[0]);
        Assert.Equal(6, csvLines.Length - 1); // 3 rows × 2 metrics
        Assert.Contains(csvLines, l => l.StartsWith("grpo,grpo,simulated,avg,4,", StringComparison.Ordinal));

        var markdown = await client.GetAsync("/api/sweeps/e2e/results?format=markdown&metric=avg@4");
        Assert.Equal("text/markdown", markdown.Content.Headers.ContentType?.MediaType);
        var mdLines = (await markdown.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, mdLines.Length); // header, rule, Backbone, grpo, dsdr, legend
        Assert.Equal("| Row | simulated Avg@4 | simulated Avg@4 95 % CI | simulated Avg@4 Δ vs grpo |", mdLines[0]);
        Assert.StartsWith("95 % CI: bootstrap over problems and seeds", mdLines[5]);
        Assert.StartsWith("| Backbone |", mdLines[2]);
        Assert.StartsWith("| grpo |", mdLines[3]);
        Assert.StartsWith("| dsdr |", mdLines[4]);

        var latex = await client.GetAsync("/api/sweeps/e2e/results?format=latex&metric=avg@4");
        Assert.Equal("application/x-latex", latex.Content.Headers.ContentType?.MediaType);
        var tex = await latex.Content.ReadAsStringAsync();
        Assert.StartsWith(@"\begin{tabular}{lrrr}", tex);
        Assert.Contains("\ngrpo & ", tex);
        Assert.Contains("\ndsdr & ", tex);
        Assert.Contains(@"\end{tabular}", tex);

        // The sweep's details list the metrics its evaluations wrote.
        var details = await (await client.GetAsync("/api/sweeps/e2e")).ReadAsync<SweepDetails>();
        Assert.Contains(details.Metrics, m => m.Metric == "avg" && m.K == 4);

        // A trial: config, evaluations, metric names, rollout steps.
        var trialId = done.Trials[0].TrialId;
        var trial = await (await client.GetAsync($"/api/trials/{trialId}")).ReadAsync<TrialDetails>();
        Assert.Equal(("e2e", "grpo", 0, "completed"), (trial.Trial.SweepId, trial.Trial.Arm, trial.Trial.Seed, trial.Trial.Status));
        Assert.Equal(trialId, JsonDocument.Parse(trial.ConfigJson).RootElement.GetProperty("trialId").GetString());
        Assert.Equal(finals[trialId].Count, trial.Evals.Count);
        Assert.Contains("loss", trial.MetricNames);
        Assert.NotEmpty(trial.RolloutSteps);
        // … and its one attempt: where it ran, from step 0, completed, with nothing to explain
        var attempt = Assert.Single(trial.Attempts!);
        Assert.Equal((1, 0, "completed", (string?)null), (attempt.Number, attempt.ResumedFromStep, attempt.Outcome, attempt.Reason));
        Assert.Equal(attempt.SlotKey.Split('/')[0], attempt.Node);
        Assert.True(attempt.EndedAt >= attempt.StartedAt);
        Assert.False(done.Trials[0].Retried);

        // Metrics: the loss curve, one point per step (20 ≤ maxPoints), and downsampled when asked.
        var curves = await (await client.GetAsync($"/api/trials/{trialId}/metrics?names=loss")).ReadAsync<List<MetricCurve>>();
        var loss = Assert.Single(curves);
        Assert.Equal(("loss", 20L), (loss.Name, loss.TotalPoints));
        Assert.Equal(Enumerable.Range(1, 20), loss.Points.Select(p => p.Step));
        var coarse = await (await client.GetAsync($"/api/trials/{trialId}/metrics?names=loss&maxPoints=4")).ReadAsync<List<MetricCurve>>();
        Assert.True(coarse.Single().Points.Count <= 4);
        var all = await (await client.GetAsync($"/api/trials/{trialId}/metrics")).ReadAsync<List<MetricCurve>>();
        Assert.Equal(trial.MetricNames.Order(StringComparer.Ordinal), all.Select(c => c.Name).Order(StringComparer.Ordinal));

        // Rollouts: the latest recorded step by default, a named step on request.
        var latest = await (await client.GetAsync($"/api/trials/{trialId}/rollouts")).ReadAsync<RolloutStepView>();
        Assert.Equal(trial.RolloutSteps[^1], latest.Step);
        Assert.NotEmpty(latest.Groups);
        Assert.All(latest.Groups, g =>
        {
            Assert.NotEmpty(g.Rollouts);
            Assert.False(string.IsNullOrWhiteSpace(g.Prompt));
            Assert.NotNull(g.Gold);
            Assert.All(g.Rollouts, r => Assert.Equal(r.Correct, r.SolutionKey is not null));
        });
        var first = await (await client.GetAsync($"/api/trials/{trialId}/rollouts?step={trial.RolloutSteps[0]}")).ReadAsync<RolloutStepView>();
        Assert.Equal(trial.RolloutSteps[0], first.Step);

        // Problems: one the trial trained on has a history.
        var problemKey = latest.Groups[0].ProblemKey;
        var slash = problemKey.IndexOf('/');
        Assert.True(slash > 0, $"problem key {problemKey} is dataset/problem");
        var (dataset, problemId) = (problemKey[..slash], problemKey[(slash + 1)..]);
        var problem = await client.GetAsync($"/api/problems/{dataset}/{Uri.EscapeDataString(problemId)}");
        Assert.Equal(HttpStatusCode.OK, problem.StatusCode);
        var view = await problem.ReadAsync<ProblemView>();
        Assert.Equal((dataset, problemId), (view.Dataset, view.ProblemId));
        Assert.True(view.Attempts > 0);
        Assert.Equal(latest.Groups[0].Prompt, view.Prompt);
        Assert.Equal(latest.Groups[0].Gold, view.Gold);

        // Pool: two CPU slots online, idle now, and a utilisation history.
        var pool = await WaitForAsync(async () => await (await client.GetAsync("/api/pool")).ReadAsync<PoolView>(),
            p => p.History.Count >= 2 && p.Slots.All(s => s.TrialId is null), "an idle pool with history");
        Assert.Equal(["local/cpu:0", "local/cpu:1"], pool.Slots.Select(s => s.SlotKey));
        Assert.All(pool.Slots, s => Assert.True(s.Online));
        Assert.All(pool.History, h => Assert.Equal(2, h.Online));
    }

    [Fact]
    public async Task Resubmitting_the_same_spec_returns_the_sweep_and_a_different_spec_under_its_name_is_a_conflict()
    {
        using var client = web.Client();
        var spec = Spec("resubmit", steps: 5, arms: "\"grpo\"", seeds: "0");
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/sweeps", Json(spec))).StatusCode);

        // Same spec, written differently (spacing, no comment, a default spelled out): nothing new.
        var again = await client.PostAsync("/api/sweeps", Json(spec.Replace("// comments and trailing commas are fine", "").Replace("\"numbers\": 3", "\"numbers\":3,\"dataSeed\":1234")));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(new SweepSubmitted("resubmit", 1, false), await again.ReadAsync<SweepSubmitted>());

        var different = await client.PostAsync("/api/sweeps", Json(Spec("resubmit", steps: 5, arms: "\"grpo\"", seeds: "0, 1")));
        Assert.Equal(HttpStatusCode.Conflict, different.StatusCode);
        Assert.Equal("application/problem+json", different.Content.Headers.ContentType?.MediaType);
        var problem = await different.ReadJsonAsync();
        Assert.Contains("\"seeds\"", problem.GetProperty("detail").GetString());
        Assert.Equal("resubmit", problem.GetProperty("sweepId").GetString());

        var sweep = await WaitForSweepAsync(client, "resubmit", s => s.Sweep.Status == "completed", "sweep resubmit to complete");
        Assert.Single(sweep.Trials);
    }

    [Fact]
    public async Task Cancelling_a_sweep_stops_its_trials()
    {
        using var client = web.Client();
        Assert.Equal(HttpStatusCode.Created,
            (await client.PostAsync("/api/sweeps", Json(Spec("cancel-me", steps: 100_000, evalEvery: 10, arms: "\"grpo\"", seeds: "0, 1, 2")))).StatusCode);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await WaitForSweepAsync(client, "cancel-me", s => s.Trials.Any(t => t.Status == "running" && t.Step >= 10), "a trial of cancel-me past its first checkpoint");
        output.WriteLine($"running after {clock.Elapsed}");

        var cancel = await client.PostAsync("/api/sweeps/cancel-me/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var item = await cancel.ReadAsync<SweepListItem>();
        Assert.Equal(("cancelled", 3, 3), (item.Status, item.Trials, item.Cancelled));

        var after = await WaitForSweepAsync(client, "cancel-me",
            s => s.Sweep.Status == "cancelled" && s.Trials.All(t => t.Status == "cancelled"), "the tables to show the cancellation");
        output.WriteLine($"cancelled in tables after {clock.Elapsed}");
        Assert.All(after.Trials, t => Assert.True(t.Step < 100_000));
        // Trials stopped before their second evaluation have only the step-0 one: it feeds the Backbone row, not theirs.
        var results = await client.GetAsync("/api/sweeps/cancel-me/results?format=markdown");
        Assert.Equal(HttpStatusCode.OK, results.StatusCode);
        Assert.Contains("| Backbone |", await results.Content.ReadAsStringAsync());
        await WaitForAsync(async () => await (await client.GetAsync("/api/pool")).ReadAsync<PoolView>(),
            p => p.Slots.All(s => s.TrialId is null) && p.QueueLength == 0, "the slots to be free again");
    }
}
