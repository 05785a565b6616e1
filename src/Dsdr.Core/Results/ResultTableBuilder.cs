using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Results;

/// <summary>One trial's figure at the step a table uses.</summary>
internal sealed record Figure(string TrialId, string Arm, string Row, int Seed, int Step, string Benchmark, MetricKey Metric, double Value);

/// <summary>
/// Aggregates per-trial evaluation records into a result table (pure; pass completed trials' records). With
/// <see cref="ResultTableOptions.Statistics"/>, every cell also gets its bootstrap interval and, off the reference row,
/// its paired difference against it, resampling the per-problem outcomes in <c>problems</c> where the table's
/// evaluations have them (docs/STATISTICS.md).
/// </summary>
public static class ResultTableBuilder
{
    public static ResultTable Build(IEnumerable<TrialEvalRecord> records, ResultTableOptions? options = null, IEnumerable<TrialProblemRecord>? problems = null)
    {
        var (table, sample) = BuildWithSample(records, options, problems);
        return sample is null ? table : ResultStatistics.Annotate(table, sample, options!.Statistics!);
    }

    /// <summary>The bootstrap's view of what a table shows (rows × seeds × figures), for statistics beyond the table's cells.</summary>
    public static ResultSample Sample(IEnumerable<TrialEvalRecord> records, ResultTableOptions options, IEnumerable<TrialProblemRecord>? problems = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return BuildWithSample(records, options with { Statistics = options.Statistics ?? new ResultStatisticsOptions() }, problems).Sample!;
    }

    private static (ResultTable Table, ResultSample? Sample) BuildWithSample(IEnumerable<TrialEvalRecord> records, ResultTableOptions? options,
        IEnumerable<TrialProblemRecord>? problems)
    {
        ArgumentNullException.ThrowIfNull(records);
        options ??= new ResultTableOptions();
        var all = records.ToList();
        foreach (var r in all)
            if (!double.IsFinite(r.Value))
                throw new ArgumentException($"trial {r.TrialId} step {r.Step} {r.Benchmark} {new MetricKey(r.Metric, r.K)}: value {r.Value} is not finite", nameof(records));

        var metricFilter = options.Metrics?.ToHashSet();
        var benchmarkFilter = options.Benchmarks?.ToHashSet(StringComparer.Ordinal);
        var selected = all.Where(r => (metricFilter is null || metricFilter.Contains(new MetricKey(r.Metric, r.K)))
                                      && (benchmarkFilter is null || benchmarkFilter.Contains(r.Benchmark))).ToList();

        var metrics = options.Metrics?.ToList() ?? selected.Select(r => new MetricKey(r.Metric, r.K)).Distinct().Order().ToList();
        var benchmarks = options.Benchmarks?.ToList() ?? selected.Select(r => r.Benchmark).Distinct().Order(StringComparer.Ordinal).ToList();
        var withAverage = options.IncludeAverage && benchmarks.Count >= 2;

        var columns = benchmarks.SelectMany(b => metrics.Select(m => new ResultColumn(b, m))).ToList();
        if (withAverage) columns.AddRange(metrics.Select(m => new ResultColumn(ResultColumn.AverageBenchmark, m)));

        var figures = AtStep(selected.Where(r => options.Step is { } s ? r.Step == s : r.Step > 0), options.Step is null);
        var rows = new List<ResultRow>();
        List<Figure> backbone = [];
        if (options.IncludeBackbone)
        {
            backbone = AtStep(selected.Where(r => r.Step == 0), latest: false);
            if (backbone.Count > 0) rows.Add(BackboneRow(backbone, columns, benchmarks));
        }
        foreach (var (row, arm) in OrderRows(figures, options))
        {
            var mine = figures.Where(f => f.Row == row).ToList();
            var cells = columns.Select(c => c.IsAverage ? Summarise(TrialAverages(mine, c.Metric, benchmarks)) : Summarise(mine
                .Where(f => f.Benchmark == c.Benchmark && f.Metric == c.Metric).Select(f => f.Value))).ToList();
            rows.Add(new ResultRow(row, arm, cells));
        }
        var table = new ResultTable(columns, rows);
        if (options.Statistics is not { } statistics) return (table, null);
        var units = figures.Concat(backbone.Select(f => f with { Arm = ResultTable.BackboneArm, Row = ResultTable.BackboneRow })).ToList();
        return (table, new ResultSample(rows.Select(r => (r.Row, r.Arm)).ToList(), benchmarks, units, problems ?? [], statistics.Bootstrap));
    }

    /// <summary>One figure per trial × benchmark × metric: the latest step's (or the only step's) value.</summary>
    private static List<Figure> AtStep(IEnumerable<TrialEvalRecord> records, bool latest)
    {
        var result = new List<Figure>();
        foreach (var group in records.GroupBy(r => (r.TrialId, r.Benchmark, r.Metric, r.K)))
        {
            var step = latest ? group.Max(r => r.Step) : group.First().Step;
            var atStep = group.Where(r => r.Step == step).ToList();
            if (atStep.Count > 1)
                throw new ArgumentException($"trial {group.Key.TrialId} has {atStep.Count} records for step {step} {group.Key.Benchmark} "
                    + $"{new MetricKey(group.Key.Metric, group.Key.K)}; the store must keep one per trial, step, benchmark and metric");
            var r = atStep[0];
            result.Add(new Figure(r.TrialId, r.Arm, r.Row, r.Seed, r.Step, r.Benchmark, new MetricKey(r.Metric, r.K), r.Value));
        }
        return result;
    }

    /// <summary>Each trial's mean over the benchmarks (only trials that report every benchmark for the metric).</summary>
    private static IEnumerable<double> TrialAverages(IEnumerable<Figure> figures, MetricKey metric, IReadOnlyList<string> benchmarks) =>
        figures.Where(f => f.Metric == metric).GroupBy(f => f.TrialId)
            .Where(g => benchmarks.All(b => g.Any(f => f.Benchmark == b)))
            .Select(g => benchmarks.Average(b => g.First(f => f.Benchmark == b).Value));

    // The backbone is shared by every arm: average the trials of one seed first, so n counts seeds.
    private static ResultRow BackboneRow(List<Figure> figures, List<ResultColumn> columns, IReadOnlyList<string> benchmarks)
    {
        var perSeed = figures.GroupBy(f => (f.Seed, f.Benchmark, f.Metric))
            .Select(g => new Figure($"seed:{g.Key.Seed}", ResultTable.BackboneArm, ResultTable.BackboneRow, g.Key.Seed, 0, g.Key.Benchmark, g.Key.Metric,
                g.Average(f => f.Value)))
            .ToList();
        var cells = columns.Select(c => c.IsAverage ? Summarise(TrialAverages(perSeed, c.Metric, benchmarks)) : Summarise(perSeed
            .Where(f => f.Benchmark == c.Benchmark && f.Metric == c.Metric).Select(f => f.Value))).ToList();
        return new ResultRow(ResultTable.BackboneRow, ResultTable.BackboneArm, cells);
    }

    /// <summary>mean = Σx/n; std = sqrt(Σ(x − mean)²/(n − 1)) for n ≥ 2; null when there is no value.</summary>
    public static ResultCell? Summarise(IEnumerable<double> values)
    {
        var xs = values.ToList();
        if (xs.Count == 0) return null;
        var mean = xs.Average();
        double? std = xs.Count >= 2 ? Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Count - 1)) : null;
        return new ResultCell(mean, std, xs.Count);
    }

    private static List<(string Row, string Arm)> OrderRows(List<Figure> figures, ResultTableOptions options)
    {
        var rows = figures.Select(f => (f.Row, f.Arm)).Distinct().ToList();
        var armOrder = (options.Arms ?? []).Concat(ArmPresets.Names).Distinct().ToList();
        var rowOrder = (options.Rows ?? []).ToList();
        static int Rank(List<string> order, string name) => order.IndexOf(name) is var i and >= 0 ? i : int.MaxValue;

        return rows
            .OrderBy(x => Rank(rowOrder, x.Row))
            .ThenBy(x => Rank(armOrder, x.Arm))
            .ThenBy(x => x.Arm, StringComparer.Ordinal)
            .ThenBy(x => x.Row, StringComparer.Ordinal)
            .ToList();
    }
}
