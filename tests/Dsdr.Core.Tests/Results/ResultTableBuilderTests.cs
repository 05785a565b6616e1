using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Tests.Results;

public class ResultTableBuilderTests
{
    private static readonly MetricKey Avg16 = new(EvalMetrics.AvgAtK, 16);
    private static readonly MetricKey Pass1 = new(EvalMetrics.Pass1);

    private static TrialEvalRecord R(string trial, string arm, string row, int seed, int step, string bench, MetricKey m, double v) =>
        new(trial, arm, row, seed, step, bench, m.Metric, m.K, v);

    /// <summary>grpo: 2 seeds; dsdr λd=0.01: 3 seeds; benchmarks A and B; steps 0 (backbone), 50, 100.</summary>
    private static List<TrialEvalRecord> Records()
    {
        var list = new List<TrialEvalRecord>();
        void Trial(string id, string arm, string row, int seed, double a, double b, double backboneA, double backboneB)
        {
            list.Add(R(id, arm, row, seed, 0, "A", Avg16, backboneA));
            list.Add(R(id, arm, row, seed, 0, "B", Avg16, backboneB));
            list.Add(R(id, arm, row, seed, 50, "A", Avg16, 0.99)); // superseded by step 100
            list.Add(R(id, arm, row, seed, 50, "B", Avg16, 0.01));
            list.Add(R(id, arm, row, seed, 100, "A", Avg16, a));
            list.Add(R(id, arm, row, seed, 100, "B", Avg16, b));
            list.Add(R(id, arm, row, seed, 100, "A", Pass1, a / 2));
        }
        Trial("d2", "dsdr", "dsdr λd=0.01", 2, 0.6, 0.4, 0.12, 0.22);
        Trial("g0", "grpo", "grpo", 0, 0.2, 0.4, 0.10, 0.20);
        Trial("d0", "dsdr", "dsdr λd=0.01", 0, 0.5, 0.3, 0.10, 0.20);
        Trial("g1", "grpo", "grpo", 1, 0.3, 0.6, 0.15, 0.25);
        Trial("d1", "dsdr", "dsdr λd=0.01", 1, 0.4, 0.5, 0.15, 0.25);
        return list;
    }

    private static void Cell(ResultCell? cell, double mean, double? std, int n)
    {
        Assert.NotNull(cell);
        Assert.Equal(mean, cell!.Mean, 12);
        if (std is null) Assert.Null(cell.Std); else Assert.Equal(std.Value, cell.Std!.Value, 12);
        Assert.Equal(n, cell.N);
    }

    [Fact]
    public void Mean_sample_std_and_n_over_seeds_at_each_trials_latest_step()
    {
        var table = ResultTableBuilder.Build(Records());
        Assert.Equal(["grpo", "dsdr λd=0.01"], table.Rows.Select(r => r.Row));
        Assert.Equal(["A Pass@1", "A Avg@16", "B Pass@1", "B Avg@16", "Avg Pass@1", "Avg Avg@16"], table.Columns.Select(c => c.Label));

        // grpo A: (0.2, 0.3) → mean 0.25, std = sqrt((0.05² + 0.05²)/1) = 0.0707106781…
        Cell(table["grpo", new("A", Avg16)], 0.25, Math.Sqrt(0.005), 2);
        // grpo B: (0.4, 0.6) → 0.5, sqrt(0.02)
        Cell(table["grpo", new("B", Avg16)], 0.5, Math.Sqrt(0.02), 2);
        // dsdr A: (0.5, 0.4, 0.6) → 0.5, sqrt((0 + 0.01 + 0.01)/2) = 0.1
        Cell(table["dsdr λd=0.01", new("A", Avg16)], 0.5, 0.1, 3);
        Cell(table["dsdr λd=0.01", new("B", Avg16)], 0.4, 0.1, 3);
        // Pass@1 reported for A only: no B cell, and no trial has every benchmark for the Avg column.
        Cell(table["dsdr λd=0.01", new("A", Pass1)], 0.25, 0.05, 3);
        Assert.Null(table["dsdr λd=0.01", new("B", Pass1)]);
        Assert.Null(table["dsdr λd=0.01", new(ResultColumn.AverageBenchmark, Pass1)]);
    }

    [Fact]
    public void Avg_column_averages_benchmarks_per_trial_then_over_seeds()
    {
        var table = ResultTableBuilder.Build(Records());
        // grpo per-trial averages: (0.3, 0.45) → mean 0.375, std sqrt(0.15²/2) = 0.1060660…
        Cell(table["grpo", new("Avg", Avg16)], 0.375, Math.Sqrt(0.01125), 2);
        // dsdr: (0.4, 0.45, 0.5) → 0.45, std 0.05
        Cell(table["dsdr λd=0.01", new("Avg", Avg16)], 0.45, 0.05, 3);
    }

    [Fact]
    public void Trial_missing_a_benchmark_is_left_out_of_avg_only()
    {
        var records = Records().Where(r => !(r.TrialId == "d2" && r.Benchmark == "B")).ToList();
        var table = ResultTableBuilder.Build(records);
        Cell(table["dsdr λd=0.01", new("A", Avg16)], 0.5, 0.1, 3);
        Cell(table["dsdr λd=0.01", new("B", Avg16)], 0.4, Math.Sqrt(0.02), 2);
        Cell(table["dsdr λd=0.01", new("Avg", Avg16)], 0.425, Math.Sqrt(0.00125), 2);
    }

    [Fact]
    public void Options_choose_metrics_benchmarks_step_and_average()
    {
        var table = ResultTableBuilder.Build(Records(), new ResultTableOptions { Metrics = [Avg16], Benchmarks = ["B"], Step = 50 });
        Assert.Equal(["B Avg@16"], table.Columns.Select(c => c.Label)); // one benchmark: no Avg column
        Cell(table["grpo", new("B", Avg16)], 0.01, 0, 2);

        var noAverage = ResultTableBuilder.Build(Records(), new ResultTableOptions { IncludeAverage = false, Metrics = [Avg16] });
        Assert.Equal(["A Avg@16", "B Avg@16"], noAverage.Columns.Select(c => c.Label));
    }

    [Fact]
    public void Backbone_row_averages_step_zero_per_seed()
    {
        var table = ResultTableBuilder.Build(Records(), new ResultTableOptions { IncludeBackbone = true, Metrics = [Avg16] });
        Assert.Equal(["Backbone", "grpo", "dsdr λd=0.01"], table.Rows.Select(r => r.Row));
        // Seeds 0 and 1 appear in both arms with the same backbone; seed 2 only in dsdr: A = (0.10, 0.15, 0.12).
        var mean = (0.10 + 0.15 + 0.12) / 3;
        var std = Math.Sqrt((Math.Pow(0.10 - mean, 2) + Math.Pow(0.15 - mean, 2) + Math.Pow(0.12 - mean, 2)) / 2);
        Cell(table["Backbone", new("A", Avg16)], mean, std, 3);
        // Per-seed averages over A and B are (0.15, 0.20, 0.17): A shifted by 0.05, so the same std.
        Cell(table["Backbone", new("Avg", Avg16)], (0.15 + 0.20 + 0.17) / 3, std, 3);
        Assert.Equal("backbone", table.Rows[0].Arm);
    }

    [Fact]
    public void Rows_follow_given_order_else_arm_preset_order_then_label()
    {
        var records = new List<TrialEvalRecord>
        {
            R("1", "mine", "mine", 0, 10, "A", Avg16, 0.1),
            R("2", "dsdr", "dsdr τ=5", 0, 10, "A", Avg16, 0.1),
            R("3", "dsdr", "dsdr τ=1", 0, 10, "A", Avg16, 0.1),
            R("4", "grpo", "grpo", 0, 10, "A", Avg16, 0.1),
            R("5", "dapo", "dapo", 0, 10, "A", Avg16, 0.1),
        };
        Assert.Equal(["grpo", "dapo", "dsdr τ=1", "dsdr τ=5", "mine"], ResultTableBuilder.Build(records).Rows.Select(r => r.Row));
        var reversed = ResultTableBuilder.Build(Enumerable.Reverse(records));
        Assert.Equal(["grpo", "dapo", "dsdr τ=1", "dsdr τ=5", "mine"], reversed.Rows.Select(r => r.Row));
        var given = ResultTableBuilder.Build(records, new ResultTableOptions { Rows = ["dsdr τ=5", "dsdr τ=1"], Arms = ["mine", "dapo"] });
        Assert.Equal(["dsdr τ=5", "dsdr τ=1", "mine", "dapo", "grpo"], given.Rows.Select(r => r.Row));
    }

    [Fact]
    public void Options_for_trials_take_the_expansion_order()
    {
        var spec = SweepSpecParser.Parse("""
            { "name": "o", "task": {"kind": "countdown"}, "model": {"preset": "tiny"},
              "arms": ["dsdr", "grpo"], "grid": {"tau": [10, 1]}, "seeds": [0] }
            """).GetSpecOrThrow();
        var options = ResultTableOptions.ForTrials(SweepExpander.Expand(spec));
        Assert.Equal(["dsdr τ=10", "dsdr τ=1", "grpo"], options.Rows);
        Assert.Equal(["dsdr", "grpo"], options.Arms);
    }

    [Fact]
    public void Metric_columns_in_standard_order()
    {
        var records = new[] { "distinct", "pass@16", "avg@16", "pass@2", "pass1", "avg@8" }
            .Select((m, i) => { var k = MetricKey.Parse(m); return R("t", "dsdr", "dsdr", 0, 5, "A", k, i); });
        Assert.Equal(["A Pass@1", "A Avg@8", "A Avg@16", "A pass@2", "A pass@16", "A distinct"],
            ResultTableBuilder.Build(records).Columns.Select(c => c.Label));
    }

    [Fact]
    public void Bad_records_throw_naming_the_trial()
    {
        var duplicate = Records().Append(R("g0", "grpo", "grpo", 0, 100, "A", Avg16, 0.9));
        Assert.Contains("trial g0 has 2 records for step 100 A avg@16", Assert.Throws<ArgumentException>(() => ResultTableBuilder.Build(duplicate)).Message);
        var nan = new[] { R("x", "dsdr", "dsdr", 0, 1, "A", Avg16, double.NaN) };
        Assert.Contains("trial x step 1 A avg@16: value NaN is not finite", Assert.Throws<ArgumentException>(() => ResultTableBuilder.Build(nan)).Message);
    }

    [Fact]
    public void Empty_input_gives_an_empty_table()
    {
        var table = ResultTableBuilder.Build([]);
        Assert.Empty(table.Columns);
        Assert.Empty(table.Rows);
    }

    [Fact]
    public void Summarise_by_hand()
    {
        Assert.Null(ResultTableBuilder.Summarise([]));
        Assert.Equal(new ResultCell(0.7, null, 1), ResultTableBuilder.Summarise([0.7]));
        var cell = ResultTableBuilder.Summarise([1, 2, 3, 4])!; // mean 2.5, Σ(x−m)² = 5, /3
        Assert.Equal(2.5, cell.Mean);
        Assert.Equal(Math.Sqrt(5.0 / 3), cell.Std!.Value, 15);
        Assert.Equal(4, cell.N);
    }

    [Theory]
    [InlineData("pass1", "pass1", null, "Pass@1")]
    [InlineData("avg@16", "avg", 16, "Avg@16")]
    [InlineData("pass@64", "pass", 64, "pass@64")]
    [InlineData("distinct", "distinct", null, "distinct")]
    public void Metric_keys_parse_and_label(string text, string metric, int? k, string label)
    {
        var key = MetricKey.Parse(text);
        Assert.Equal(new MetricKey(metric, k), key);
        Assert.Equal(label, key.Label);
        Assert.Equal(text, key.ToString());
    }

    [Theory]
    [InlineData("avg@")]
    [InlineData("avg@0")]
    [InlineData("@4")]
    [InlineData("avg@x")]
    public void Bad_metric_keys_throw(string text) =>
        Assert.Contains($"bad metric \"{text}\"", Assert.Throws<FormatException>(() => MetricKey.Parse(text)).Message);
}
