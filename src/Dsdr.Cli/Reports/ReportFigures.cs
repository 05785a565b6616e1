using System.Globalization;
using Dsdr.Core.Reports;
using Dsdr.Core.Results;
using Dsdr.Core.Statistics;
using ScottPlot;

namespace Dsdr.Cli.Reports;

/// <summary>One drawn figure: its title, its PNG and SVG files (relative to the report folder) and what it shows.</summary>
internal sealed record ReportFigure(string Section, string Title, string Png, string Svg, string Caption);

/// <summary>
/// Draws a <see cref="SweepReport"/>'s figures with ScottPlot as PNG and SVG: pass@k over k with 95 % bands (the paper's
/// Fig. 3), Δpass@k against the reference with the smallest significant k marked, training curves with seed bands (Fig. 4),
/// distinct correct over evaluation steps, and λ sensitivity. Every row has its <see cref="ArmPalette"/> colour in every figure.
/// </summary>
internal static class ReportFigures
{
    public const string Folder = "figures";
    public const int Width = 900;
    public const int Height = 540;

    public static IReadOnlyList<ReportFigure> Draw(SweepReport report, string reportFolder)
    {
        Directory.CreateDirectory(Path.Combine(reportFolder, Folder));
        var figures = new List<ReportFigure>();
        foreach (var benchmark in report.PassAtK.Select(c => c.Benchmark).Distinct())
            figures.Add(PassAtK(report, benchmark, reportFolder));
        foreach (var benchmark in report.PassAtKDeltas.Select(c => c.Benchmark).Distinct())
            figures.Add(DeltaPassAtK(report, benchmark, reportFolder));
        foreach (var panel in report.TrainingCurves.Where(p => p.Rows.Count > 0))
            figures.Add(Curves(panel, "Training", $"{panel.Label} over training steps", "step", Slug(panel.Metric), reportFolder));
        foreach (var panel in report.EvaluationCurves.Where(p => p.Rows.Count > 0))
            figures.Add(Curves(panel, "Evaluation", $"{panel.Benchmark} {panel.Label} over evaluation steps", "evaluation step",
                Slug($"{panel.Metric}-{panel.Benchmark}"), reportFolder));
        foreach (var panel in report.Lambda.Panels)
            figures.Add(Sensitivity(panel, reportFolder));
        return figures;
    }

    private static ReportFigure PassAtK(SweepReport report, string benchmark, string folder)
    {
        var plot = NewPlot($"{benchmark}: pass@k (95 % bootstrap bands over problems and seeds)", "k", "pass@k (%)");
        var curves = report.PassAtK.Where(c => c.Benchmark == benchmark).ToList();
        foreach (var c in curves)
            Line(plot, c.Row, [.. c.Points.Select(p => (Log2(p.K), 100 * p.Mean, Scale(p.CiLow), Scale(p.CiHigh)))], marker: 5);
        KTicks(plot, curves.SelectMany(c => c.Points.Select(p => p.K)));
        return Save(plot, "Pass@k", $"{benchmark}: pass@k over k", $"pass-at-k-{Slug(benchmark)}", folder,
            "pass@k for k = 1 … n per row (unbiased estimator from the per-problem counts); bands: the 95 % percentile bootstrap interval over problems and seeds.");
    }

    private static ReportFigure DeltaPassAtK(SweepReport report, string benchmark, string folder)
    {
        var reference = report.Header.Reference ?? "?";
        var plot = NewPlot($"{benchmark}: Δpass@k vs {reference} (paired bootstrap, 95 % bands)", "k", $"Δpass@k vs {reference} (percentage points)");
        plot.Add.HorizontalLine(0, 1, Colors.Gray, LinePattern.Dashed);
        var curves = report.PassAtKDeltas.Where(c => c.Benchmark == benchmark).ToList();
        foreach (var c in curves)
        {
            var label = c.SmallestSignificantK is { } k ? $"{c.Row} (smallest significant k = {k})" : $"{c.Row} (no significant k)";
            Line(plot, c.Row, [.. c.Points.Select(p => (Log2(p.K), 100 * p.Delta.Mean, Scale(p.Delta.CiLow), Scale(p.Delta.CiHigh)))], marker: 5, legend: label);
            if (c.SmallestSignificantK is { } smallest && c.Points.FirstOrDefault(p => p.K == smallest) is { } at)
                plot.Add.Marker(Log2(smallest), 100 * at.Delta.Mean, MarkerShape.FilledDiamond, 14, Colour(c.Row));
        }
        KTicks(plot, curves.SelectMany(c => c.Points.Select(p => p.K)));
        return Save(plot, "Δpass@k", $"{benchmark}: Δpass@k vs {reference}", $"delta-pass-at-k-{Slug(benchmark)}", folder,
            $"Δpass@k = row − {reference} at every k, paired by seed over the same problem draws; bands: 95 % bootstrap interval; " +
            "a diamond marks the smallest k where the difference is significant (p < 0.05).");
    }

    private static ReportFigure Curves(CurvePanel panel, string section, string title, string xLabel, string file, string folder)
    {
        var bandNote = panel.StepWidth > 1 ? $" (each seed averaged over windows of {panel.StepWidth} steps)" : "";
        var plot = NewPlot($"{title}: mean over seeds, 95 % t band{bandNote}", xLabel, panel.Label);
        foreach (var row in panel.Rows)
            Line(plot, row.Row, [.. row.Points.Select(p => ((double)p.Step, p.Mean, p.Low, p.High))], marker: panel.Benchmark is null ? 0 : 5,
                legend: $"{row.Row} ({row.Seeds} seed{(row.Seeds == 1 ? "" : "s")})");
        return Save(plot, section, title, file, folder,
            $"mean over the seeds that reached each step ± the Student-t 95 % half-width (no band with one seed){bandNote}.");
    }

    private static ReportFigure Sensitivity(SensitivityPanel panel, string folder)
    {
        var xs = panel.Series.SelectMany(s => s.Points.Select(p => p.X)).ToList();
        var logarithmic = xs.All(x => x > 0) && xs.Max() / xs.Min() >= 10;
        double X(double x) => logarithmic ? Math.Log10(x) : x;
        var scale = EvalMetrics.Rates.Contains(MetricKey.Parse(panel.Metric).Metric) ? 100.0 : 1.0;
        var plot = NewPlot($"{panel.Benchmark}: {panel.MetricLabel} vs {panel.AxisLabel} (95 % bootstrap intervals)", panel.AxisLabel,
            scale == 100 ? $"{panel.MetricLabel} (%)" : panel.MetricLabel);
        if (panel.Reference is { } r)
        {
            if (r.CiLow is { } low && r.CiHigh is { } high) plot.Add.HorizontalSpan(scale * low, scale * high, Colour(r.Row).WithAlpha(0.15));
            var line = plot.Add.HorizontalLine(scale * r.Mean, 2, Colour(r.Row), LinePattern.Dashed);
            line.LegendText = $"{r.Row} (reference)";
        }
        foreach (var series in panel.Series)
        {
            var name = series.Fixed.Length == 0 ? series.Arm : $"{series.Arm} {series.Fixed}";
            var colour = Colour(series.Points.Count == 1 ? series.Points[0].Row : name);
            var px = series.Points.Select(p => X(p.X)).ToArray();
            var py = series.Points.Select(p => scale * p.Mean).ToArray();
            var line = plot.Add.Scatter(px, py, colour);
            line.LegendText = name;
            line.LineWidth = 2;
            line.MarkerSize = 7;
            var bars = plot.Add.ErrorBar(px, py, [.. py.Select(_ => 0.0)]);
            bars.YErrorPositive = [.. series.Points.Select(p => p.CiHigh is { } h ? scale * h - scale * p.Mean : 0)];
            bars.YErrorNegative = [.. series.Points.Select(p => p.CiLow is { } l ? scale * p.Mean - scale * l : 0)];
            bars.Color = colour;
        }
        if (logarithmic)
        {
            var ticks = xs.Distinct().Order().ToArray();
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. ticks.Select(Math.Log10)],
                [.. ticks.Select(t => t.ToString("G4", CultureInfo.InvariantCulture))]);
        }
        return Save(plot, "λ sensitivity", $"{panel.Benchmark}: {panel.MetricLabel} vs {panel.AxisLabel}",
            Slug($"lambda-{panel.Axis}-{panel.Metric}-{panel.Benchmark}"), folder,
            $"each point one row of the table (mean over seeds, bar: its 95 % bootstrap interval); one line per arm and setting of the other grid axes" +
            (panel.Reference is { } rr ? $"; dashed: {rr.Row} with its interval." : "."));
    }

    private static Plot NewPlot(string title, string x, string y)
    {
        var plot = new Plot();
        plot.Title(title, 14);
        plot.XLabel(x);
        plot.YLabel(y);
        return plot;
    }

    // one row: its band (where both edges exist, in contiguous runs) under its mean line
    private static void Line(Plot plot, string row, IReadOnlyList<(double X, double Mean, double? Low, double? High)> points, float marker, string? legend = null)
    {
        if (points.Count == 0) return;
        var colour = Colour(row);
        var run = new List<(double X, double Low, double High)>();
        void Flush()
        {
            if (run.Count >= 2)
            {
                var fill = plot.Add.FillY([.. run.Select(p => p.X)], [.. run.Select(p => p.Low)], [.. run.Select(p => p.High)]);
                fill.FillColor = colour.WithAlpha(0.2);
                fill.LineWidth = 0;
            }
            run.Clear();
        }
        foreach (var p in points)
        {
            if (p.Low is { } low && p.High is { } high) run.Add((p.X, low, high));
            else Flush();
        }
        Flush();
        var line = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Mean).ToArray(), colour);
        line.LegendText = legend ?? row;
        line.LineWidth = 2;
        line.MarkerSize = marker;
    }

    private static void KTicks(Plot plot, IEnumerable<int> ks)
    {
        var all = ks.Distinct().Order().ToList();
        if (all.Count == 0) return;
        var shown = all.Where(k => (k & (k - 1)) == 0 || k == all[^1]).ToList();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. shown.Select(k => Log2(k))],
            [.. shown.Select(k => k.ToString(CultureInfo.InvariantCulture))]);
    }

    private static ReportFigure Save(Plot plot, string section, string title, string file, string folder, string caption)
    {
        plot.ShowLegend(Alignment.LowerRight);
        var png = Path.Combine(Folder, file + ".png");
        var svg = Path.Combine(Folder, file + ".svg");
        ReportFiles.WriteAtomically(Path.Combine(folder, png), plot.GetImageBytes(Width, Height, ImageFormat.Png));
        ReportFiles.WriteAtomically(Path.Combine(folder, svg), System.Text.Encoding.UTF8.GetBytes(plot.GetSvgXml(Width, Height)));
        return new ReportFigure(section, title, png.Replace('\\', '/'), svg.Replace('\\', '/'), caption);
    }

    private static Color Colour(string row) => Color.FromHex(ArmPalette.Of(row));

    private static double Log2(int k) => Math.Log2(k);

    private static double? Scale(double? value) => value * 100;

    /// <summary>"diversityDistinct-countdown" → "diversitydistinct-countdown": lower-case letters, digits and dashes.</summary>
    internal static string Slug(string text)
    {
        var chars = text.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray();
        return string.Join('-', new string(chars).Split('-', StringSplitOptions.RemoveEmptyEntries));
    }
}
