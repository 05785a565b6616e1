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
            : EvalFigureKey.TryParseMetricName(n, out var figure) ? (figure.Metric == EvalMetrics.AvgAtK && figure.K is not null ? 10 : 11)
            : 20;
        return set.OrderBy(Rank).ThenBy(n => n, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// One series per band curve (a row of a sweep): the seeds' mean with its 95 % interval where there are several seeds;
    /// rows in <paramref name="rowOrder"/>, others after; named with the sweep when the curves come from several.
    /// </summary>
    public static IReadOnlyList<ChartSeries> SeedBandSeries(IEnumerable<SeedBandCurve> curves, IReadOnlyList<string> rowOrder)
    {
        var list = curves.ToList();
        var sweeps = list.Select(c => c.SweepId).Distinct().Count();
        static int Rank(IReadOnlyList<string> order, string row) => IndexIn(order, row) is var i and >= 0 ? i : int.MaxValue;
        return list.OrderBy(c => Rank(rowOrder, c.Row)).ThenBy(c => c.SweepId, StringComparer.Ordinal).ThenBy(c => c.Row, StringComparer.Ordinal)
            .Select(c =>
            {
                var n = c.Seeds.Count;
                var name = (sweeps > 1 ? $"{c.SweepId} · {c.Row}" : c.Row) + (n == 1 ? $" (seed {c.Seeds[0]})" : $" ({n} seeds, 95 % CI)");
                return new ChartSeries(name, [.. c.Points.Select(p => new BandPoint(p.Step, p.Mean, p.Low ?? p.Mean, p.High ?? p.Mean, p.N))], ArmColours.Of(c.Row));
            })
            .ToList();
    }

    /// <summary>Benchmarks that have pass@k columns in the table.</summary>
    public static IReadOnlyList<string> PassAtKBenchmarks(ResultTable table) =>
        table.Columns.Where(IsPassAtK).Select(c => c.Benchmark).Distinct().ToList();

    /// <summary>
    /// pass@k against k for one benchmark: a series per table row, x = log2 k (k = 1, 2, 4, …), y = the mean over seeds
    /// with the table's 95 % bootstrap interval (over problems and seeds, docs/STATISTICS.md) as its band; in percent for
    /// the rate. Rows without any pass@k cell are left out.
    /// </summary>
    public static (IReadOnlyList<ChartSeries> Series, IReadOnlyList<double> XTicks) PassAtK(ResultTable table, string benchmark, ResultFormat? format = null)
    {
        var columns = PassAtKColumns(table, benchmark);
        var scale = Scale(format);
        var series = new List<ChartSeries>();
        foreach (var row in table.Rows)
        {
            var points = columns.Where(x => row.Cells[x.Index] is not null).Select(x =>
            {
                var cell = row.Cells[x.Index]!;
                return new BandPoint(x.Log2K, scale * cell.Mean, scale * (cell.CiLow ?? cell.Mean), scale * (cell.CiHigh ?? cell.Mean), cell.N);
            }).ToList();
            if (points.Count > 0) series.Add(new ChartSeries(row.Row, points, ArmColours.Of(row.Row)));
        }
        return (series, columns.Select(x => x.Log2K).Distinct().ToList());
    }

    /// <summary>The row the table's differences are against (its statistics' reference); null when it has none.</summary>
    public static string? ReferenceRow(ResultTable table) => table.Statistics?.Reference;

    /// <summary>
    /// Δpass@k of every other row (but the Backbone) against the table's reference row at each k: the paired bootstrap
    /// difference the table's cells carry (mean, 95 % interval as the band), points where p &lt; α marked.
    /// </summary>
    public static IReadOnlyList<ChartSeries> DeltaPassAtK(ResultTable table, string benchmark, ResultFormat? format = null)
    {
        var columns = PassAtKColumns(table, benchmark);
        var scale = Scale(format);
        var series = new List<ChartSeries>();
        foreach (var row in table.Rows.Where(r => r.Row != ResultTable.BackboneRow && r.Row != ReferenceRow(table)))
        {
            var deltas = columns.Select(x => (x.Log2K, Delta: row.Cells[x.Index]?.Delta)).Where(x => x.Delta is not null).ToList();
            if (deltas.Count == 0) continue;
            var points = deltas.Select(x => new BandPoint(x.Log2K, scale * x.Delta!.Mean, scale * (x.Delta.CiLow ?? x.Delta.Mean),
                scale * (x.Delta.CiHigh ?? x.Delta.Mean), row.Cells[columns.First(c => c.Log2K == x.Log2K).Index]!.N)).ToList();
            series.Add(new ChartSeries(row.Row, points, ArmColours.Of(row.Row)) { Marked = [.. deltas.Where(x => x.Delta!.Significant).Select(x => x.Log2K)] });
        }
        return series;
    }

    private static List<(int Index, double Log2K)> PassAtKColumns(ResultTable table, string benchmark) =>
        table.Columns.Select((c, i) => (c, i)).Where(x => x.c.Benchmark == benchmark && IsPassAtK(x.c)).OrderBy(x => x.c.Metric.K)
            .Select(x => (x.i, Math.Log2(x.c.Metric.K!.Value))).ToList();

    private static double Scale(ResultFormat? format) => (format ?? ResultFormat.Default).Percent ? 100.0 : 1.0;

    /// <summary>Tick label of a log2 k axis: k.</summary>
    public static string KLabel(double log2K) => Math.Round(Math.Pow(2, log2K)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static int IndexIn(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++) if (list[i] == value) return i;
        return -1;
    }

    private static bool IsPassAtK(ResultColumn c) => c.Metric.Metric == EvalMetrics.PassAtK && c.Metric.K is not null;
}
