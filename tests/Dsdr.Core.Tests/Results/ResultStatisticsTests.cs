using System.Text.Json;
using Dsdr.Core.Results;
using Dsdr.Core.Statistics;
using Dsdr.Core.Tasks;

namespace Dsdr.Core.Tests.Results;

/// <summary>Result tables with bootstrap intervals and paired differences, on a seeded synthetic sweep with per-problem rows.</summary>
public class ResultStatisticsTests
{
    private const int Problems = 60, N = 8;

    /// <summary>One evaluation of <paramref name="trial"/>: each problem's rollouts correct with p (+ a fixed per-problem ease), seeded.</summary>
    internal static (List<TrialEvalRecord> Records, List<TrialProblemRecord> Problems) Evaluation(string trial, string arm, string row, int seed, int step, double p)
    {
        var rng = new SeededRandom(Fnv($"{trial}#{step}"));
        var outcomes = Enumerable.Range(0, Problems).Select(q =>
        {
            var pq = Math.Clamp(p + 0.3 * ((q * 37 % Problems) / (double)Problems - 0.5), 0.02, 0.98);
            var correct = Enumerable.Range(0, N).Count(_ => rng.Next(0, 999) < pq * 1000);
            return new ProblemEvalOutcome("cd", $"q{q:D2}", rng.Next(0, 999) < pq * 1000, N, correct, N, correct, Math.Min(correct, 3), 3,
                correct >= 2 ? 0.9 - 0.1 * Math.Min(correct, 3) : null, null);
        }).ToList();
        var records = ProblemFigures.Figures(outcomes).Select(f => new TrialEvalRecord(trial, arm, row, seed, step, "cd", f.Key.Metric, f.Key.K, f.Value)).ToList();
        return (records, [.. outcomes.Select(o => new TrialProblemRecord(trial, step, o))]);
    }

    private static ulong Fnv(string text) => text.Aggregate(14695981039346656037UL, (h, c) => (h ^ c) * 1099511628211UL);

    /// <summary>grpo (p 0.4) and dsdr (p 0.55) on seeds 0–2, each with its step-0 backbone (p 0.3) and final step 100.</summary>
    internal static (List<TrialEvalRecord> Records, List<TrialProblemRecord> Problems) Sweep()
    {
        var records = new List<TrialEvalRecord>();
        var problems = new List<TrialProblemRecord>();
        foreach (var (arm, p) in new[] { ("grpo", 0.4), ("dsdr", 0.55) })
            foreach (var seed in new[] { 0, 1, 2 })
            {
                var trial = $"{arm}-s{seed}";
                foreach (var (step, accuracy) in new[] { (0, 0.3), (100, p) })
                {
                    var (r, q) = Evaluation(trial, arm, arm, seed, step, accuracy);
                    records.AddRange(r);
                    problems.AddRange(q);
                }
            }
        return (records, problems);
    }

    private static ResultTableOptions Options(string reference = "grpo", bool required = false) => new()
    {
        IncludeBackbone = true,
        Metrics = [new(EvalMetrics.Pass1), new(EvalMetrics.AvgAtK, N), new(EvalMetrics.PassAtK, N), new(EvalMetrics.SemanticSimilarity)],
        Statistics = new ResultStatisticsOptions { Reference = reference, ReferenceRequired = required, Bootstrap = new BootstrapOptions { Replicates = 400 } },
    };

    [Fact]
    public void Every_cell_gets_an_interval_around_its_mean_and_every_other_row_a_paired_difference()
    {
        var (records, problems) = Sweep();
        var table = ResultTableBuilder.Build(records, Options(), problems);
        Assert.Equal(["Backbone", "grpo", "dsdr"], table.Rows.Select(r => r.Row));
        Assert.Equal(new ResultStatisticsSummary("grpo", 400, BootstrapOptions.DefaultSeed, 0.95, true), table.Statistics);
        foreach (var row in table.Rows)
            foreach (var cell in row.Cells)
            {
                Assert.NotNull(cell);
                Assert.True(cell.CiLow <= cell.Mean && cell.Mean <= cell.CiHigh, $"{row.Row}: {cell}");
            }
        var grpo = table.Rows[1];
        var dsdr = table.Rows[2];
        Assert.All(grpo.Cells, c => Assert.Null(c!.Delta));
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var delta = dsdr.Cells[i]!.Delta!;
            Assert.Equal("grpo", delta.Reference);
            Assert.Equal(dsdr.Cells[i]!.Mean - grpo.Cells[i]!.Mean, delta.Mean, 9); // every seed is shared: the paired mean is the difference of means
        }
        // dsdr's 0.15 higher accuracy on 60 problems × 3 seeds is significant on Avg@8
        Assert.True(dsdr.Cells[1]!.Delta!.Significant);
        Assert.True(dsdr.Cells[1]!.Delta!.CiLow > 0);
        // the figures in the table are the means of the per-problem rows
        Assert.Equal(records.Where(r => r.Arm == "dsdr" && r.Step == 100 && r.Metric == EvalMetrics.AvgAtK).Average(r => r.Value), dsdr.Cells[1]!.Mean, 12);
    }

    [Fact]
    public void The_reference_is_settable_by_row_arm_or_backbone_and_an_unknown_one_is_refused_only_when_asked_for()
    {
        var (records, problems) = Sweep();
        var vsBackbone = ResultTableBuilder.Build(records, Options("backbone", required: true), problems);
        Assert.Equal("Backbone", vsBackbone.Statistics!.Reference);
        Assert.NotNull(vsBackbone.Rows[1].Cells[0]!.Delta);
        Assert.Null(vsBackbone.Rows[0].Cells[0]!.Delta);

        var e = Assert.Throws<UnknownReferenceException>(() => ResultTableBuilder.Build(records, Options("dapo", required: true), problems));
        Assert.Contains("\"dapo\" is not a row of this table; use one of \"Backbone\", \"grpo\", \"dsdr\"", e.Message);
        var quiet = ResultTableBuilder.Build(records, Options("dapo"), problems);
        Assert.Null(quiet.Statistics!.Reference);
        Assert.All(quiet.Rows.SelectMany(r => r.Cells), c => Assert.Null(c!.Delta));
        Assert.All(quiet.Rows.SelectMany(r => r.Cells), c => Assert.NotNull(c!.CiLow));
    }

    [Fact]
    public void Without_per_problem_rows_only_seeds_are_resampled()
    {
        var (records, _) = Sweep();
        var table = ResultTableBuilder.Build(records, Options());
        Assert.False(table.Statistics!.ProblemLevel);
        var cell = table.Rows[2].Cells[1]!;
        Assert.NotNull(cell.CiLow);
        Assert.InRange(cell.CiLow!.Value, records.Where(r => r.Arm == "dsdr" && r.Step == 100 && r.Metric == EvalMetrics.AvgAtK).Min(r => r.Value) - 1e-12, cell.Mean);
    }

    [Fact]
    public void The_renderings_carry_intervals_and_differences_and_keep_the_old_fields()
    {
        var (records, problems) = Sweep();
        var table = ResultTableBuilder.Build(records, Options(), problems);

        using var json = JsonDocument.Parse(ResultTableRenderer.ToJson(table));
        var dsdrCell = json.RootElement.GetProperty("rows")[2].GetProperty("cells")[1];
        foreach (var name in new[] { "mean", "std", "n", "ciLow", "ciHigh" }) Assert.True(dsdrCell.TryGetProperty(name, out _), name);
        var delta = dsdrCell.GetProperty("delta");
        Assert.Equal("grpo", delta.GetProperty("reference").GetString());
        foreach (var name in new[] { "mean", "ciLow", "ciHigh", "p", "significant" }) Assert.True(delta.TryGetProperty(name, out _), name);
        Assert.False(json.RootElement.GetProperty("rows")[1].GetProperty("cells")[1].TryGetProperty("delta", out _));
        Assert.Equal(400, json.RootElement.GetProperty("statistics").GetProperty("replicates").GetInt32());

        var csv = ResultTableRenderer.ToCsv(table).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("row,arm,benchmark,metric,k,mean,std,n,ci_low,ci_high,delta_reference,delta_mean,delta_ci_low,delta_ci_high,delta_p,delta_significant", csv[0]);
        Assert.Contains(csv, l => l.StartsWith("dsdr,dsdr,cd,avg,8,", StringComparison.Ordinal) && l.Contains(",grpo,", StringComparison.Ordinal) && l.EndsWith(",true", StringComparison.Ordinal));

        var markdown = ResultTableRenderer.ToMarkdown(table).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("| Row | cd Pass@1 | cd Pass@1 95 % CI | cd Pass@1 Δ vs grpo | cd Avg@8 |", markdown[0]);
        var dsdrLine = markdown.Single(l => l.StartsWith("| dsdr |", StringComparison.Ordinal));
        Assert.Matches(@"\| \+\d+\.\d \[\d+\.\d, \d+\.\d\] \* \|", dsdrLine);  // a significant Δ with its interval and mark
        Assert.Contains("| ref |", markdown.Single(l => l.StartsWith("| grpo |", StringComparison.Ordinal)));
        Assert.StartsWith("95 % CI: bootstrap over problems and seeds (400 replicates", markdown[^1]);

        var latex = ResultTableRenderer.ToLatex(table);
        Assert.Contains(@"$\Delta$ vs grpo", latex);
        Assert.Contains(@"$^{*}$", latex);
        Assert.Contains(@"\begin{tabular}{l" + new string('r', 12) + "}", latex);
    }
}
