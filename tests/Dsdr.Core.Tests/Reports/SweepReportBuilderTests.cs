using System.Text.Json;
using System.Text.Json.Serialization;
using Dsdr.Core.Reports;
using Dsdr.Core.Results;
using Dsdr.Core.Runs;
using Dsdr.Core.Statistics;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tests.Results;

namespace Dsdr.Core.Tests.Reports;

/// <summary>The report on a seeded sweep: grpo, dsdr at λd ∈ {0.01, 0.1} and dsdr-no-gd on seeds 0–2, per-problem rows, hand-made entropy curves.</summary>
public class SweepReportBuilderTests
{
    private const string SpecJson = """
        {"name": "rep", "task": {"kind": "countdown", "numbers": 3}, "model": {"preset": "countdown"},
         "arms": ["grpo", "dsdr", "dsdr-no-gd"], "grid": {"lambdaD": [0.01, 0.1]}, "seeds": [0, 1, 2], "eval": {"avgK": 8, "passKSamples": 8}}
        """;

    private static readonly Dictionary<string, double> Accuracy = new()
    {
        ["grpo"] = 0.4, ["dsdr λd=0.01"] = 0.55, ["dsdr λd=0.1"] = 0.5, ["dsdr-no-gd"] = 0.45,
    };

    private static SweepReportInputs Inputs(string specJson = SpecJson, Dictionary<string, double>? accuracy = null)
    {
        var spec = SweepSpecParser.Parse(specJson).GetSpecOrThrow();
        var trials = SweepExpander.Expand(spec);
        var records = new List<TrialEvalRecord>();
        var problems = new List<TrialProblemRecord>();
        var curves = new List<TrialCurve>();
        foreach (var t in trials)
        {
            foreach (var (step, p) in new[] { (0, 0.3), (20, (accuracy ?? Accuracy)[t.Row]) })
            {
                var (r, q) = ResultStatisticsTests.Evaluation(t.TrialId, t.Arm, t.Row, t.Seed, step, p);
                records.AddRange(r);
                problems.AddRange(q);
            }
            curves.Add(new TrialCurve(t.TrialId, TrainingCurveNames.Entropy, EntropyCurve(t.Arm, t.Seed)));
        }
        return new SweepReportInputs
        {
            SweepId = "rep",
            Name = "rep",
            Status = "completed",
            Spec = spec,
            Trials = [.. trials.Select(t => new ReportTrial(t.TrialId, t.Arm, t.Row, t.Seed, TrialStatus.Completed))],
            TableRecords = records,
            TableProblems = problems,
            TableOptions = Options(trials),
            Evaluations = records,
            Curves = curves,
        };
    }

    private static ResultTableOptions Options(IEnumerable<TrialSpec> trials) => ResultTableOptions.ForTrials(trials) with
    {
        IncludeBackbone = true,
        Statistics = new ResultStatisticsOptions { Bootstrap = new BootstrapOptions { Replicates = 400 } },
    };

    // steps 1 … 20: 2.0 until step 18, then the last 10 % (steps 19, 20) with a late mean of 0.9 + 0.1·seed (dsdr) or 0.5 + 0.1·seed (others)
    private static StepValue[] EntropyCurve(string arm, int seed)
    {
        var late = (arm == "dsdr" ? 0.9 : 0.5) + 0.1 * seed;
        return [.. Enumerable.Range(1, 18).Select(s => new StepValue(s, 2.0 + 0.01 * seed)), new StepValue(19, late - 0.05), new StepValue(20, late + 0.05)];
    }

    [Fact]
    public void The_table_is_the_result_table_of_the_same_inputs_for_the_default_metrics()
    {
        var inputs = Inputs();
        var report = SweepReportBuilder.Build(inputs);
        var metrics = SweepReportBuilder.DefaultMetrics(inputs.TableRecords);
        Assert.Equal(["pass1", "avg@8", "pass@8", "distinct", "semanticSimilarity"], metrics.Select(m => m.ToString()));
        var expected = ResultTableBuilder.Build(inputs.TableRecords, inputs.TableOptions with { Metrics = metrics }, inputs.TableProblems);
        Assert.Equal(ResultTableRenderer.ToJson(expected), ResultTableRenderer.ToJson(report.Table));
        Assert.Equal("metric=pass1%2Cavg%408%2Cpass%408%2Cdistinct%2CsemanticSimilarity&step=final&reference=grpo", report.TableQuery);
        Assert.Equal(["Backbone", "grpo", "dsdr λd=0.01", "dsdr λd=0.1", "dsdr-no-gd"], report.Table.Rows.Select(r => r.Row));
        Assert.Equal(("grpo", 12, 12), (report.Header.Reference, report.Header.Trials, report.Header.CompletedTrials));
        Assert.Equal(["cd"], report.Header.Benchmarks);
        Assert.Equal(["grpo", "dsdr λd=0.01", "dsdr λd=0.1", "dsdr-no-gd"], report.Header.Rows);
        Assert.Contains("grid λd ∈ {0.01, 0.1}", report.Header.Spec);
        Assert.Empty(report.Notes);
    }

    [Fact]
    public void Pass_at_k_bands_and_deltas_agree_with_the_tables_cells_at_the_largest_k()
    {
        var report = SweepReportBuilder.Build(Inputs());
        var column = new ResultColumn("cd", new MetricKey(EvalMetrics.PassAtK, 8));
        foreach (var row in report.Table.Rows)
        {
            var curve = report.PassAtK.Single(c => c.Row == row.Row);
            Assert.Equal(Enumerable.Range(1, 8), curve.Points.Select(p => p.K));
            var cell = report.Table[row.Row, column]!;
            var last = curve.Points[^1];
            Assert.Equal((cell.Mean, cell.CiLow, cell.CiHigh), (last.Mean, last.CiLow, last.CiHigh));
            Assert.All(curve.Points, p => Assert.True(p.CiLow <= p.Mean && p.Mean <= p.CiHigh));
            Assert.True(curve.Points.Zip(curve.Points.Skip(1)).All(x => x.First.Mean <= x.Second.Mean + 1e-12), "pass@k grows with k");
        }
        // Δpass@k of every row but the reference; at k = n the table's Δ
        Assert.Equal(["Backbone", "dsdr λd=0.01", "dsdr λd=0.1", "dsdr-no-gd"], report.PassAtKDeltas.Select(d => d.Row));
        var dsdr = report.PassAtKDeltas.Single(d => d.Row == "dsdr λd=0.01");
        var tableDelta = report.Table["dsdr λd=0.01", column]!.Delta!;
        var atN = dsdr.Points[^1].Delta;
        Assert.Equal((tableDelta.Mean, tableDelta.CiLow, tableDelta.CiHigh, tableDelta.P), (atN.Mean, atN.CiLow, atN.CiHigh, atN.P));
        Assert.Equal(dsdr.Points.First(p => p.Delta.Significant).K, dsdr.SmallestSignificantK);
        Assert.NotNull(dsdr.Widening);
    }

    [Fact]
    public void Curves_have_seed_bands_and_the_entropy_claim_compares_each_seeds_late_mean()
    {
        var report = SweepReportBuilder.Build(Inputs());
        var entropy = Assert.Single(report.TrainingCurves);
        Assert.Equal((TrainingCurveNames.Entropy, 1, null), (entropy.Metric, entropy.StepWidth, entropy.Benchmark));
        var dsdr = entropy.Rows.Single(r => r.Row == "dsdr λd=0.01");
        Assert.Equal(3, dsdr.Seeds);
        // step 20: 0.95, 1.05, 1.15 → mean 1.05, s = 0.1, half-width t(0.975, 2) · 0.1 / √3 = 4.302653 · 0.057735 = 0.248414
        var at20 = dsdr.Points.Single(p => p.Step == 20);
        Assert.Equal(1.05, at20.Mean, 12);
        Assert.Equal(1.05 - 0.248414, at20.Low!.Value, 5);
        Assert.Equal(1.05 + 0.248414, at20.High!.Value, 5);

        // distinct correct over evaluation steps 0 and 20, one band per row
        var distinct = report.EvaluationCurves.Single(p => p.Metric == EvalMetrics.DistinctCorrect);
        Assert.Equal("cd", distinct.Benchmark);
        Assert.Equal([0, 20], distinct.Rows.Single(r => r.Row == "grpo").Points.Select(p => p.Step));

        // late means 0.9 + 0.1·s vs 0.5 + 0.1·s: Δ = 0.4 on every seed, so every replicate is 0.4: shown
        var claim = report.Claims.Single(c => c.Claim == SweepReportBuilder.EntropyClaimText);
        Assert.Equal(("dsdr λd=0.01", "grpo", null, Verdict.Shown, "shown"), (claim.Row, claim.Reference, claim.Benchmark, claim.Verdict, claim.Word));
        Assert.Equal(0.4, claim.Delta!.Mean, 12);
        Assert.Equal((3, true), (claim.Delta.Seeds, claim.Delta.Paired));
        Assert.Contains("last 10 % of steps", claim.Metric);
        Assert.False(claim.Rate);
    }

    [Fact]
    public void Every_paper_claim_is_checked_and_absent_arms_make_a_claim_not_testable()
    {
        var report = SweepReportBuilder.Build(Inputs());
        var claims = report.Claims.Where(c => c.Benchmark == "cd").ToList();
        Assert.Equal(11, claims.Count); // Pass@1, Avg@8, widening, 4 diversity, GD and GC on Avg@8 and pass@8
        var avg = claims.Single(c => c.Claim == "DSDR ≥ GRPO on Avg@8");
        var cell = report.Table["dsdr λd=0.01", new ResultColumn("cd", new MetricKey(EvalMetrics.AvgAtK, 8))]!.Delta!;
        Assert.Equal((cell.Mean, cell.CiLow, cell.CiHigh, cell.P), (avg.Delta!.Mean, avg.Delta.CiLow, avg.Delta.CiHigh, avg.Delta.P));
        Assert.Equal((Verdict.Shown, true), (avg.Verdict, avg.Rate)); // p 0.55 vs 0.4 on 60 problems × 3 seeds
        var gd = claims.Single(c => c.Claim == "Removing GD hurts (Avg@8)");
        Assert.Equal(("dsdr-no-gd", 1), (gd.Reference, gd.ClaimedSign));
        Assert.NotNull(gd.Delta);
        Assert.Equal(PaperClaims.Judge(gd.Delta, +1), gd.Verdict);
        // no dsdr-no-gc arm: both GC claims are not testable, and say why
        Assert.All(claims.Where(c => c.Claim.StartsWith("Removing GC", StringComparison.Ordinal)), c =>
        {
            Assert.Equal((Verdict.NotTestable, "not testable", null), (c.Verdict, c.Word, c.Delta));
            Assert.Equal("the sweep has no such row", c.Note);
        });
        var widening = claims.Single(c => c.Claim.StartsWith("The pass@k gap widens", StringComparison.Ordinal));
        Assert.True(widening.Rate);
        Assert.Equal(report.PassAtKDeltas.Single(d => d.Row == "dsdr λd=0.01").Widening!.Mean, widening.Delta!.Mean, 12);
    }

    [Fact]
    public void Without_grpo_or_dsdr_the_curve_claim_is_not_testable_and_the_report_says_why()
    {
        const string spec = """{"name": "nogrpo", "task": {"kind": "countdown"}, "model": {"preset": "countdown"}, "arms": ["dapo"], "seeds": [0, 1]}""";
        var report = SweepReportBuilder.Build(Inputs(spec, new Dictionary<string, double> { ["dapo"] = 0.5 }));
        Assert.All(report.Claims, c => Assert.Equal(Verdict.NotTestable, c.Verdict));
        Assert.Equal("the sweep has no dsdr row", report.Claims.Single(c => c.Benchmark is null).Note);
        Assert.Contains(report.Notes, n => n.Contains("no row \"grpo\"", StringComparison.Ordinal));
        Assert.Empty(report.PassAtKDeltas);
        Assert.Null(report.Header.Reference);
        Assert.Empty(report.Lambda.Axes);
        Assert.Contains("no λ grid", report.Lambda.Note);
    }

    [Fact]
    public void Lambda_sensitivity_draws_the_grid_rows_against_their_lambda_with_the_tables_intervals()
    {
        var report = SweepReportBuilder.Build(Inputs());
        Assert.Equal(["lambdaD"], report.Lambda.Axes);
        Assert.Equal(["avg@8", "pass@8"], report.Lambda.Panels.Select(p => p.Metric));
        var panel = report.Lambda.Panels[0];
        Assert.Equal(("λd", "cd", "Avg@8"), (panel.AxisLabel, panel.Benchmark, panel.MetricLabel));
        var series = Assert.Single(panel.Series); // grpo and dsdr-no-gd pin λd: only dsdr varies it
        Assert.Equal(("dsdr", ""), (series.Arm, series.Fixed));
        Assert.Equal([0.01, 0.1], series.Points.Select(p => p.X));
        var column = new ResultColumn("cd", new MetricKey(EvalMetrics.AvgAtK, 8));
        foreach (var point in series.Points)
        {
            var cell = report.Table[point.Row, column]!;
            Assert.Equal((cell.Mean, cell.CiLow, cell.CiHigh, cell.N), (point.Mean, point.CiLow, point.CiHigh, point.N));
        }
        Assert.Equal("grpo", panel.Reference!.Row);
        Assert.Equal(report.Table["grpo", column]!.Mean, panel.Reference.Mean);
    }

    [Fact]
    public void The_report_reads_back_from_its_json_with_the_table_as_the_results_api_writes_it()
    {
        var report = SweepReportBuilder.Build(Inputs());
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };
        var json = JsonSerializer.Serialize(report, options);
        using var document = JsonDocument.Parse(json);
        // the table inside is the results API's document (its characters escaped as the outer writer escapes them)
        Assert.Equal(ResultTableRenderer.ToJson(report.Table), ResultTableRenderer.ToJson(ResultTableRenderer.FromJson(document.RootElement.GetProperty("table"))));
        Assert.Equal(["columns", "rows", "statistics"], document.RootElement.GetProperty("table").EnumerateObject().Select(p => p.Name));
        Assert.Equal("shown", document.RootElement.GetProperty("claims")[0].GetProperty("word").GetString());
        var back = JsonSerializer.Deserialize<SweepReport>(json, options)!;
        Assert.Equal(ResultTableRenderer.ToJson(report.Table), ResultTableRenderer.ToJson(back.Table));
        Assert.Equal(report.Claims.Select(c => (c.Claim, c.Verdict, c.Delta?.Mean)), back.Claims.Select(c => (c.Claim, c.Verdict, c.Delta?.Mean)));
        Assert.Equal(report.PassAtKDeltas.Select(d => d.SmallestSignificantK), back.PassAtKDeltas.Select(d => d.SmallestSignificantK));
        Assert.Equal(JsonSerializer.Serialize(report, options), JsonSerializer.Serialize(back, options));
    }

    [Fact]
    public void A_result_table_document_that_is_not_one_is_refused_naming_the_part()
    {
        var e = Assert.Throws<JsonException>(() => ResultTableRenderer.FromJson(JsonDocument.Parse("""{"columns": []}""").RootElement));
        Assert.Contains("\"rows\"", e.Message);
        Assert.Throws<JsonException>(() => ResultTableRenderer.FromJson(JsonDocument.Parse("[]").RootElement));
    }
}
