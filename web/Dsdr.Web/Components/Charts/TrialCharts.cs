using Dsdr.Core.Results;
using Dsdr.Web.Services;

namespace Dsdr.Web.Components.Charts;

/// <summary>Chart series of one trial's evaluations.</summary>
public static class TrialCharts
{
    public static MetricKey KeyOf(EvalFigure f) => new(f.Metric, f.K);

    /// <summary>The metrics the trial evaluated, in table order (Pass@1, Avg@k, pass@k, the rest).</summary>
    public static IReadOnlyList<MetricKey> Metrics(IEnumerable<EvalFigure> evals) => evals.Select(KeyOf).Distinct().Order().ToList();

    /// <summary>One metric over training steps, a line per benchmark (rates in percent).</summary>
    public static IReadOnlyList<ChartSeries> OverSteps(IEnumerable<EvalFigure> evals, MetricKey metric)
    {
        var scale = metric.IsRate && ResultFormat.Default.Percent ? 100.0 : 1.0;
        return evals.Where(f => KeyOf(f) == metric).GroupBy(f => f.Benchmark).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select((g, i) => ChartSeries.Line(g.Key, g.OrderBy(f => f.Step).Select(f => ((double)f.Step, scale * f.Value)), SeriesColours.At(i)))
            .ToList();
    }

    /// <summary>pass@k against log2 k at the trial's latest evaluation step that has pass@k figures, a line per benchmark (percent).</summary>
    public static (IReadOnlyList<ChartSeries> Series, IReadOnlyList<double> XTicks, int? Step) PassAtK(IEnumerable<EvalFigure> evals)
    {
        var pass = evals.Where(f => f.Metric == EvalMetrics.PassAtK && f.K is > 0).ToList();
        if (pass.Count == 0) return ([], [], null);
        var step = pass.Max(f => f.Step);
        var atStep = pass.Where(f => f.Step == step).ToList();
        var series = atStep.GroupBy(f => f.Benchmark).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select((g, i) => ChartSeries.Line(g.Key, g.OrderBy(f => f.K).Select(f => (Math.Log2(f.K!.Value), 100.0 * f.Value)), SeriesColours.At(i)))
            .ToList();
        return (series, atStep.Select(f => Math.Log2(f.K!.Value)).Distinct().Order().ToList(), step);
    }
}
