using Dsdr.Core.Results;
using Dsdr.Web.Services;

namespace Dsdr.Web.Components.Charts;

/// <summary>Turns the platform's curves and result tables into chart series.</summary>
public static class SweepCharts
{
    /// <summary>Step metrics a researcher looks at first, in this order; the rest follow.</summary>
    public static IReadOnlyList<string> PreferredMetrics { get; } =
        ["reward/mean", "entropy", "similarity/semantic", "similarity/formula"];

    /// <summary>Preferred step metrics, then evaluation curves (Avg@k first), then every other name, ordinal.</summary>
    public static IReadOnlyList<string> OrderMetricNames(IEnumerable<string> names)
    {
        var set = names.Distinct(StringComparer.Ordinal).ToList();
        static int Rank(string n) => IndexIn(PreferredMetrics, n) is var i and >= 0 ? i
            : n.StartsWith("eval/", StringComparison.Ordinal) ? (n.Contains("/avg@", StringComparison.Ordinal) ? 10 : 11)
            : 20;
        return set.OrderBy(Rank).ThenBy(n => n, StringComparer.Ordinal).ToList();
    }

    /// <summary>One series per row (arm + grid point): the seeds' mean with its band; rows in <paramref name="rowOrder"/>, others after.</summary>
    public static IReadOnlyList<ChartSeries> SeedBandSeries(IEnumerable<MetricCurve> curves, IReadOnlyList<string> rowOrder, BandKind kind)
    {
        static int Rank(IReadOnlyList<string> order, string row) => IndexIn(order, row) is var i and >= 0 ? i : int.MaxValue;
        return curves.GroupBy(c => c.Row)
            .OrderBy(g => Rank(rowOrder, g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select((g, i) =>
            {
                var seeds = g.Select(c => c.Seed).Distinct().Count();
                return new ChartSeries($"{g.Key} ({seeds} seed{(seeds == 1 ? "" : "s")})", SeedBands.Compute(g.Select(c => c.Points), kind), ArmColours.Of(g.Key));
            })
            .ToList();
    }

    /// <summary>Benchmarks that have pass@k columns in the table.</summary>
    public static IReadOnlyList<string> PassAtKBenchmarks(ResultTable table) =>
        table.Columns.Where(IsPassAtK).Select(c => c.Benchmark).Distinct().ToList();

    /// <summary>
    /// pass@k against k for one benchmark: a series per table row, x = log2 k (k = 1, 2, 4, …), y = mean over seeds with
    /// a ± std band; in percent for the rate. Rows without any pass@k cell are left out.
    /// </summary>
    public static (IReadOnlyList<ChartSeries> Series, IReadOnlyList<double> XTicks) PassAtK(ResultTable table, string benchmark, ResultFormat? format = null)
    {
        format ??= ResultFormat.Default;
        var columns = table.Columns.Select((c, i) => (c, i)).Where(x => x.c.Benchmark == benchmark && IsPassAtK(x.c)).OrderBy(x => x.c.Metric.K).ToList();
        var scale = format.Percent ? 100.0 : 1.0;
        var series = new List<ChartSeries>();
        foreach (var row in table.Rows)
        {
            var points = columns.Where(x => row.Cells[x.i] is not null).Select(x =>
            {
                var cell = row.Cells[x.i]!;
                var std = cell.Std ?? 0;
                return new BandPoint(Math.Log2(x.c.Metric.K!.Value), scale * cell.Mean, scale * (cell.Mean - std), scale * (cell.Mean + std), cell.N);
            }).ToList();
            if (points.Count > 0) series.Add(new ChartSeries(row.Row, points, ArmColours.Of(row.Row)));
        }
        return (series, columns.Select(x => Math.Log2(x.c.Metric.K!.Value)).Distinct().ToList());
    }

    /// <summary>The arm Δ curves are measured against: GRPO's row when the table has one, else its first row that is not the Backbone.</summary>
    public static string? ReferenceRow(ResultTable table) =>
        table.Rows.FirstOrDefault(r => r.Row == "grpo")?.Row ?? table.Rows.FirstOrDefault(r => r.Row != ResultTable.BackboneRow)?.Row;

    /// <summary>
    /// Δpass@k of every other row against <paramref name="reference"/>: at each k both have, Δ = mean_row − mean_reference
    /// (the seed means of <see cref="PassAtK"/>; no band: a paired interval over seeds is the statistics' to give).
    /// </summary>
    public static IReadOnlyList<ChartSeries> DeltaPassAtK(IReadOnlyList<ChartSeries> passAtK, string reference)
    {
        var baseline = passAtK.FirstOrDefault(s => s.Name == reference);
        if (baseline is null) return [];
        var at = baseline.Points.ToDictionary(p => p.X, p => p.Mean);
        return passAtK.Where(s => s.Name != reference && s.Name != ResultTable.BackboneRow)
            .Select(s => ChartSeries.Line(s.Name, s.Points.Where(p => at.ContainsKey(p.X)).Select(p => (p.X, p.Mean - at[p.X])), ArmColours.Of(s.Name)))
            .Where(s => s.Points.Count > 0).ToList();
    }

    /// <summary>Tick label of a log2 k axis: k.</summary>
    public static string KLabel(double log2K) => Math.Round(Math.Pow(2, log2K)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static int IndexIn(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return -1;
    }

    private static bool IsPassAtK(ResultColumn c) => c.Metric.Metric == EvalMetrics.PassAtK && c.Metric.K is not null;
}
