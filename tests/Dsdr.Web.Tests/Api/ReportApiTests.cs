using System.Net;
using Dsdr.Core.Reports;
using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;
using Dsdr.Storage;
using Dsdr.Storage.Repositories;
using Dsdr.Web.Api;

namespace Dsdr.Web.Tests.Api;

/// <summary>
/// GET /api/sweeps/{id}/report on a sweep seeded straight into PostgreSQL (grpo and dsdr on seeds 0–2, hand-made per-problem
/// outcomes and entropy curves): its table is the results API's, its bands and Δ are the hand values, bad parameters are 400s.
/// </summary>
[Collection(WebApiCollection.Name)]
public sealed class ReportApiTests(WebApiFixture web)
{
    private const string SweepId = "report-seeded";
    private const string Spec = """
        {"name": "report-seeded", "task": {"kind": "countdown", "numbers": 3}, "model": {"preset": "countdown"},
         "arms": ["grpo", "dsdr"], "seeds": [0, 1, 2], "eval": {"everySteps": 20, "avgK": 4, "passKSamples": 4}}
        """;
    private static readonly SemaphoreSlim Seeding = new(1, 1);
    private static bool _seeded;

    // problem q of 10: c of its 4 rollouts correct; the backbone solves q mod 2, grpo q mod 3 (+1 on problem 0 with seed 1), dsdr one more than grpo
    private static int Correct(string arm, int seed, int step, int q) =>
        step == 0 ? q % 2 : Math.Min(4, q % 3 + (arm == "dsdr" ? 1 : 0) + (seed == 1 && q == 0 ? 1 : 0));

    private static ProblemEvalOutcome Outcome(int q, int c) =>
        new("countdown", $"p{q:D2}", c >= 2, 4, c, 4, c, Math.Min(c, 2), 3, c >= 2 ? 0.9 - 0.05 * c : null, null);

    // entropy at steps 1 … 20: 0.5 + 0.1·seed for grpo, 0.9 + 0.1·seed for dsdr (so every seed's late mean is that value)
    private static double Entropy(string arm, int seed) => (arm == "dsdr" ? 0.9 : 0.5) + 0.1 * seed;

    private async Task SeedAsync()
    {
        await Seeding.WaitAsync();
        try
        {
            if (_seeded) return;
            var trials = SweepExpander.Expand(SweepSpecParser.Parse(Spec).GetSpecOrThrow());
            await using var database = DsdrDatabase.FromConnectionString(web.ConnectionString, migrate: false);
            await new SweepRepository(database).InsertAsync(new NewSweep(SweepId, SweepId, Spec));
            await new TrialRepository(database).InsertAsync(trials.Select(t => new NewTrial(t.TrialId, SweepId, t.Arm, t.Row, t.Seed, t.ToJson())));
            foreach (var t in trials)
            {
                foreach (var step in new[] { 0, 20 })
                {
                    var outcomes = Enumerable.Range(0, 10).Select(q => Outcome(q, Correct(t.Arm, t.Seed, step, q))).ToList();
                    await new EvalProblemRepository(database).AddAsync(t.TrialId, step, outcomes);
                    await new EvalRepository(database).AddAsync(ProblemFigures.Figures(outcomes).Select(f => new EvalRow(t.TrialId, step, "countdown", f.Key.Metric, f.Key.K, f.Value)));
                }
                await new MetricRepository(database).WriteAsync([.. Enumerable.Range(1, 20).Select(s => new MetricSample(t.TrialId, s, TrainingCurveNames.Entropy, Entropy(t.Arm, t.Seed)))]);
            }
            _seeded = true;
        }
        finally
        {
            Seeding.Release();
        }
    }

    private async Task<SweepReport> ReportAsync(HttpClient client, string query = "")
    {
        var response = await client.GetAsync($"/api/sweeps/{SweepId}/report{query}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return await response.ReadAsync<SweepReport>();
    }

    [Fact]
    public async Task The_reports_table_is_the_results_apis_table_for_its_query()
    {
        await SeedAsync();
        using var client = web.Client(withKey: false);
        foreach (var query in new[] { "", "?reference=dsdr&metric=avg@4,pass@4" })
        {
            var report = await ReportAsync(client, query);
            var results = await client.GetAsync($"/api/sweeps/{SweepId}/results?format=json&{report.TableQuery}");
            Assert.Equal(HttpStatusCode.OK, results.StatusCode);
            Assert.Equal(await results.Content.ReadAsStringAsync(), ResultTableRenderer.ToJson(report.Table));
        }
        var vsDsdr = await ReportAsync(client, "?reference=dsdr&metric=avg@4,pass@4");
        Assert.Equal("metric=avg%404%2Cpass%404&step=final&reference=dsdr", vsDsdr.TableQuery);
        Assert.Equal(["Backbone", "grpo"], vsDsdr.PassAtKDeltas.Select(d => d.Row));
    }

    [Fact]
    public async Task Bands_and_differences_are_the_hand_values_of_the_seeded_sweep()
    {
        await SeedAsync();
        using var client = web.Client(withKey: false);
        var report = await ReportAsync(client);
        Assert.Equal(("report-seeded", "grpo", 6, 0), (report.Header.SweepId, report.Header.Reference, report.Header.Trials, report.Header.CompletedTrials));
        Assert.Contains("Countdown with 3 numbers", report.Header.Spec);

        var column = new ResultColumn("countdown", new MetricKey(EvalMetrics.PassAtK, 4));
        var dsdr = report.PassAtK.Single(c => c.Row == "dsdr");
        Assert.Equal([1, 2, 3, 4], dsdr.Points.Select(p => p.K));
        // dsdr solves every problem at least once on every seed: pass@4 = 1 with a zero-width interval
        Assert.Equal((1.0, 1.0, 1.0), (dsdr.Points[^1].Mean, dsdr.Points[^1].CiLow, dsdr.Points[^1].CiHigh));
        // pass@1 = mean c/4: dsdr c = q mod 3 + 1 → (1+2+3+1+2+3+1+2+3+1)/40 = 19/40 on seeds 0 and 2, 20/40 on seed 1
        Assert.Equal((19.0 + 20 + 19) / 120, dsdr.Points[0].Mean, 12);
        var delta = report.PassAtKDeltas.Single(d => d.Row == "dsdr");
        var cell = report.Table["dsdr", column]!.Delta!;
        Assert.Equal((cell.Mean, cell.CiLow, cell.CiHigh, cell.P), (delta.Points[^1].Delta.Mean, delta.Points[^1].Delta.CiLow, delta.Points[^1].Delta.CiHigh, delta.Points[^1].Delta.P));
        // Δpass@1 = 1/4 on every problem of every seed: every replicate is 0.25, significant from k = 1
        Assert.Equal((0.25, 0.25, 0.25), (Math.Round(delta.Points[0].Delta.Mean, 12), Math.Round(delta.Points[0].Delta.CiLow!.Value, 12), Math.Round(delta.Points[0].Delta.CiHigh!.Value, 12)));
        Assert.Equal(1, delta.SmallestSignificantK);

        // entropy band at step 10: dsdr 0.9, 1.0, 1.1 → 1.0 ± t(0.975, 2) · 0.1 / √3 = 1.0 ± 0.248414
        var entropy = report.TrainingCurves.Single(p => p.Metric == TrainingCurveNames.Entropy);
        var at10 = entropy.Rows.Single(r => r.Row == "dsdr").Points.Single(p => p.Step == 10);
        Assert.Equal((1.0, 3), (Math.Round(at10.Mean, 12), at10.N));
        Assert.Equal(0.751586, at10.Low!.Value, 5);
        Assert.Equal(1.248414, at10.High!.Value, 5);
        var claim = report.Claims.Single(c => c.Claim == SweepReportBuilder.EntropyClaimText);
        Assert.Equal((0.4, "shown"), (Math.Round(claim.Delta!.Mean, 12), claim.Word));

        // distinct over evaluation steps 0 and 20; no λ grid, no dsdr-no-gd / dsdr-no-gc rows
        Assert.Equal([0, 20], report.EvaluationCurves.Single(p => p.Metric == EvalMetrics.DistinctCorrect).Rows[0].Points.Select(p => p.Step));
        Assert.Contains("no λ grid", report.Lambda.Note);
        Assert.All(report.Claims.Where(c => c.Claim.StartsWith("Removing", StringComparison.Ordinal)), c => Assert.Equal("not testable", c.Word));
        // Avg@4: dsdr solves one rollout more of every problem on every seed, Δ = 1/4 in every replicate
        var avg = report.Claims.Single(c => c.Claim == "DSDR ≥ GRPO on Avg@4");
        Assert.Equal((0.25, 0.25, 0.25, "shown"), (Math.Round(avg.Delta!.Mean, 12), Math.Round(avg.Delta.CiLow!.Value, 12), Math.Round(avg.Delta.CiHigh!.Value, 12), avg.Word));
    }

    [Theory]
    [InlineData("?step=latest", "step", "best:<benchmark>:<metric>")]
    [InlineData("?metric=avg", "metric", "needs its k")]
    [InlineData("?reference=ppo", "reference", "is not a row of this table")]
    [InlineData("?reference=%20", "reference", "is empty")]
    public async Task A_bad_parameter_is_a_400_naming_it(string query, string parameter, string says)
    {
        await SeedAsync();
        using var client = web.Client(withKey: false);
        var response = await client.GetAsync($"/api/sweeps/{SweepId}/report{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.ReadJsonAsync();
        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
        Assert.Contains(says, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_unknown_sweep_is_a_404()
    {
        using var client = web.Client(withKey: false);
        var response = await client.GetAsync("/api/sweeps/no-such-sweep/report");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("No such sweep", (await response.ReadJsonAsync()).GetProperty("title").GetString());
    }
}
