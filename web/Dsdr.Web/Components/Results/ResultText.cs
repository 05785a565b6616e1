using System.Globalization;
using Dsdr.Core.Results;
using Dsdr.Web.Components.Charts;

namespace Dsdr.Web.Components.Results;

/// <summary>How the dashboard writes result figures: as <see cref="ResultTableRenderer"/>'s Markdown does (rates ×100 when percent).</summary>
public static class ResultText
{
    /// <summary>x, or 100·x for a rate shown in percent, rounded half away from zero to the format's decimals.</summary>
    public static string Number(double x, MetricKey metric, ResultFormat? format = null)
    {
        format ??= ResultFormat.Default;
        var scaled = format.Percent && metric.IsRate ? 100 * x : x;
        return Math.Round(scaled, format.Decimals, MidpointRounding.AwayFromZero)
            .ToString("F" + format.Decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>"mean ± std", just "mean" when n = 1, "–" for no cell.</summary>
    public static string Cell(ResultCell? cell, MetricKey metric, ResultFormat? format = null) => cell is null
        ? "–"
        : cell.Std is { } s ? $"{Number(cell.Mean, metric, format)} ± {Number(s, metric, format)}" : Number(cell.Mean, metric, format);

    /// <summary>"[low, high]": the cell's 95 % interval (bootstrap, docs/STATISTICS.md); null without one.</summary>
    public static string? Interval(ResultCell? cell, MetricKey metric, ResultFormat? format = null) =>
        cell?.CiLow is { } lo && cell.CiHigh is { } hi ? $"[{Number(lo, metric, format)}, {Number(hi, metric, format)}]" : null;

    /// <summary>"Δ +x [low, high]" with a ★ when p &lt; α: the paired difference against the reference row.</summary>
    public static string Delta(ResultDelta delta, MetricKey metric, ResultFormat? format = null)
    {
        var text = $"Δ {Signed(delta.Mean, metric, format)}";
        if (delta.CiLow is { } lo && delta.CiHigh is { } hi) text += $" [{Number(lo, metric, format)}, {Number(hi, metric, format)}]";
        return delta.Significant ? text + " ★" : text;
    }

    /// <summary>The hover text of a difference: what it is against, its p-value, whether it is significant.</summary>
    public static string DeltaTitle(ResultDelta delta) =>
        $"vs {delta.Reference}: paired over the same seeds and problems" +
        (delta.P is { } p ? string.Create(CultureInfo.InvariantCulture, $", p = {p:0.####}") : "") + (delta.Significant ? ", significant" : ", not significant");

    /// <summary>The hover text of a cell: how many seeds.</summary>
    public static string CellTitle(ResultCell? cell) => $"n = {cell?.N ?? 0} seed{(cell?.N == 1 ? "" : "s")}";

    /// <summary>α of the table's tests ("0.05" for 95 % intervals).</summary>
    public static string Alpha(ResultTable table) =>
        (1 - (table.Statistics?.Level ?? 0.95)).ToString("0.###", CultureInfo.InvariantCulture);

    private static string Signed(double x, MetricKey metric, ResultFormat? format)
    {
        var text = Number(x, metric, format);
        return text.StartsWith('-') ? text : "+" + text;
    }

    /// <summary>
    /// The format with the fewest decimals (from <paramref name="format"/>'s, at most <paramref name="maximum"/>) at which
    /// figures that differ stay different once shown (as scaled for the metric): similarities of 0.992 and 0.987 are not
    /// both "1.0".
    /// </summary>
    public static ResultFormat Separating(IEnumerable<double> values, MetricKey metric, ResultFormat? format = null, int maximum = 4)
    {
        format ??= ResultFormat.Default;
        var scale = format.Percent && metric.IsRate ? 100.0 : 1.0;
        var distinct = values.Where(double.IsFinite).Select(v => scale * v).Distinct().ToList();
        for (var decimals = format.Decimals; decimals < maximum; decimals++)
            if (distinct.Select(v => Math.Round(v, decimals, MidpointRounding.AwayFromZero)).Distinct().Count() == distinct.Count)
                return format with { Decimals = decimals };
        return format with { Decimals = Math.Max(format.Decimals, maximum) };
    }

    /// <summary>Unit suffix for a metric's figures: "%" for rates shown in percent.</summary>
    public static string Unit(MetricKey metric, ResultFormat? format = null) => (format ?? ResultFormat.Default).Percent && metric.IsRate ? "%" : "";
}

/// <summary>One heat-map cell: the table cell, its position on the colour ramp (1 = best) and its colours.</summary>
public sealed record HeatCell(string Row, string Benchmark, ResultCell? Value, double? Position, string Background, string Foreground, string Text);

/// <summary>The ablation matrix of one metric: table rows × benchmarks (and the "Avg" column), coloured by mean.</summary>
public sealed record HeatMapModel(MetricKey Metric, IReadOnlyList<string> Benchmarks, IReadOnlyList<string> Rows, IReadOnlyList<IReadOnlyList<HeatCell>> Cells,
    double? Min, double? Max)
{
    public const string EmptyBackground = "#f5f5f5";

    /// <summary>
    /// Takes the table's columns of <paramref name="metric"/>; every non-empty cell is placed on one ramp from the
    /// matrix's min to max mean (<see cref="HeatScale.Position"/>, reversed for lower-is-better metrics).
    /// </summary>
    public static HeatMapModel From(ResultTable table, MetricKey metric, ResultFormat? format = null)
    {
        var columns = table.Columns.Select((c, i) => (c, i)).Where(x => x.c.Metric == metric).ToList();
        var means = table.Rows.SelectMany(r => columns.Select(c => r.Cells[c.i])).Where(c => c is not null).Select(c => c!.Mean).ToList();
        double? min = means.Count > 0 ? means.Min() : null;
        double? max = means.Count > 0 ? means.Max() : null;
        var cells = table.Rows.Select(r => (IReadOnlyList<HeatCell>)columns.Select(c =>
        {
            var cell = r.Cells[c.i];
            if (cell is null) return new HeatCell(r.Row, c.c.Benchmark, null, null, EmptyBackground, "#9e9e9e", "–");
            var t = HeatScale.Position(cell.Mean, min!.Value, max!.Value, metric.LowerIsBetter);
            return new HeatCell(r.Row, c.c.Benchmark, cell, t, HeatScale.Colour(t), HeatScale.TextColour(t), ResultText.Cell(cell, metric, format));
        }).ToList()).ToList();
        return new(metric, columns.Select(c => c.c.Benchmark).ToList(), table.Rows.Select(r => r.Row).ToList(), cells, min, max);
    }

    /// <summary>The metrics a table has, in its column order (each once).</summary>
    public static IReadOnlyList<MetricKey> MetricsOf(ResultTable table) => table.Columns.Select(c => c.Metric).Distinct().ToList();
}
