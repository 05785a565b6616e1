using Dsdr.Core.Results;
using Dsdr.Web.Components.Charts;
using Dsdr.Web.Services;

namespace Dsdr.Web.Tests.Components;

public class ChartMathTests
{
    private static CurvePoint P(int step, double value) => new(step, value);

    [Fact]
    public void Linear_scale_maps_ends_and_middle_and_can_flip()
    {
        var y = new LinearScale(0, 10, 200, 0); // SVG y grows downward
        Assert.Equal(200, y.Map(0));
        Assert.Equal(0, y.Map(10));
        Assert.Equal(100, y.Map(5));
        Assert.Equal(50, new LinearScale(3, 3, 0, 100).Map(3)); // degenerate domain → middle
    }

    [Theory]
    [InlineData(1.0, 5, 0.2)]
    [InlineData(10.0, 5, 2.0)]
    [InlineData(7.0, 5, 2.0)]   // 1.4 → 2
    [InlineData(130.0, 6, 50.0)] // 21.7 → 50
    [InlineData(0.03, 3, 0.01)]
    public void Nice_steps_are_1_2_or_5_times_a_power_of_ten(double span, int count, double expected) =>
        Assert.Equal(expected, Ticks.NiceStep(span, count), 12);

    [Fact]
    public void Nice_domain_widens_to_whole_steps_and_pads_a_single_value()
    {
        Assert.Equal((0.0, 1.0, 0.2), Ticks.NiceDomain(0.03, 0.97, 5));
        var (min, max, step) = Ticks.NiceDomain(0.5, 0.5, 5);
        Assert.True(min < 0.5 && max > 0.5 && step > 0);
        Assert.Equal([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], Ticks.Between(0, 1, 0.2));
    }

    [Fact]
    public void Tick_labels_use_the_steps_precision()
    {
        Assert.Equal("150", Ticks.Format(150, 50));
        Assert.Equal("0.4", Ticks.Format(0.4, 0.2));
        Assert.Equal("0.05", Ticks.Format(0.05, 0.01));
    }

    [Fact]
    public void Heat_positions_run_from_worst_to_best()
    {
        Assert.Equal(0.0, HeatScale.Position(0.2, 0.2, 0.6, lowerIsBetter: false));
        Assert.Equal(1.0, HeatScale.Position(0.6, 0.2, 0.6, lowerIsBetter: false));
        Assert.Equal(0.25, HeatScale.Position(0.3, 0.2, 0.6, lowerIsBetter: false), 12);
        Assert.Equal(0.75, HeatScale.Position(0.3, 0.2, 0.6, lowerIsBetter: true), 12);
        Assert.Equal(0.5, HeatScale.Position(0.4, 0.4, 0.4, lowerIsBetter: false));
    }

    [Fact]
    public void Heat_colours_are_the_ramps_stops_and_interpolate_between_them()
    {
        Assert.Equal("#ffffcc", HeatScale.Colour(0));
        Assert.Equal("#78c679", HeatScale.Colour(0.5));
        Assert.Equal("#006837", HeatScale.Colour(1));
        Assert.Equal("#006837", HeatScale.Colour(7)); // clamped
        // half-way between #ffffcc and #c2e6a0: (ff+c2)/2 = e0.5 → e1 (away from zero), (ff+e6)/2 = f2.5 → f3, (cc+99)/2 = b2.5 → b3
        Assert.Equal("#e1f3b3", HeatScale.Colour(0.125));
        Assert.Equal("#ffffff", HeatScale.TextColour(1));
        Assert.Equal("#1a1a1a", HeatScale.TextColour(0));
    }

    [Fact]
    public void Svg_paths_go_through_the_scaled_points_and_bands_close()
    {
        var x = new LinearScale(0, 10, 0, 100);
        var y = new LinearScale(0, 1, 50, 0);
        Assert.Equal("M0,50 L100,0", SvgPath.Line([(0, 0), (10, 1)], x, y));
        var band = SvgPath.Band([new BandPoint(0, 0.5, 0, 1, 2), new BandPoint(10, 0.5, 0.2, 0.8, 2)], x, y);
        Assert.Equal("M0,0 L100,10 L100,40 L0,50 Z", band);
    }

    [Fact]
    public void Chart_layout_covers_every_band_edge_and_draws_one_path_per_series()
    {
        var series = new[]
        {
            new ChartSeries("a", [new BandPoint(0, 0.5, 0.1, 0.9, 2), new BandPoint(100, 0.6, 0.55, 0.65, 2)]),
            ChartSeries.Line("b", [(0, 0.2), (50, 0.3)]),
        };
        var model = LineChartModel.Build(series, 600, 200);

        Assert.Equal(2, model.Series.Count);
        Assert.NotEmpty(model.Series[0].BandPath);
        Assert.Empty(model.Series[1].BandPath);
        Assert.StartsWith("M", model.Series[1].LinePath);
        Assert.NotEqual(model.Series[0].Colour, model.Series[1].Colour);
        // y ticks from a nice domain that holds 0.1 … 0.9
        Assert.Equal("0", model.YTicks[0].Label);
        Assert.Equal("1", model.YTicks[^1].Label);
        Assert.True(model.YTicks[0].Position > model.YTicks[^1].Position); // larger values higher up
        Assert.Contains(model.XTicks, t => t.Label == "100");
        Assert.True(LineChartModel.Build([]).IsEmpty);
    }

    [Fact]
    public void Pass_at_k_curves_come_from_the_tables_pass_columns_in_percent_on_log2_k_with_their_intervals()
    {
        var table = new ResultTable(
            [
                new("Countdown", new MetricKey(EvalMetrics.PassAtK, 4)), new("Countdown", new MetricKey(EvalMetrics.PassAtK, 1)),
                new("Countdown", new MetricKey(EvalMetrics.Pass1)),
            ],
            [
                new("grpo", "grpo", [new ResultCell(0.5, 0.1, 2) { CiLow = 0.42, CiHigh = 0.58 }, new ResultCell(0.25, null, 2), new ResultCell(0.2, null, 2)]),
                new("dsdr", "dsdr", [null, null, new ResultCell(0.3, null, 1)]),
            ]);

        Assert.Equal(["Countdown"], SweepCharts.PassAtKBenchmarks(table));
        var (series, ticks) = SweepCharts.PassAtK(table, "Countdown");
        var grpo = Assert.Single(series); // dsdr has no pass@k cell
        Assert.Equal([0.0, 2.0], ticks);
        // the band is the bootstrap interval, not ± std; a cell without one has none
        Assert.Equal([new BandPoint(0, 25, 25, 25, 2), new BandPoint(2, 50, 42, 58, 2)], grpo.Points.Select(p => p with { Mean = Math.Round(p.Mean, 9), Lower = Math.Round(p.Lower, 9), Upper = Math.Round(p.Upper, 9) }));
        Assert.Equal("4", SweepCharts.KLabel(2));
    }

    [Fact]
    public void Delta_pass_at_k_is_the_tables_paired_difference_against_its_reference_with_its_interval_and_stars_where_significant()
    {
        ResultCell Cell(double mean, double? delta = null, bool significant = false) => new(mean, 0.01, 3)
        {
            Delta = delta is { } d ? new ResultDelta("grpo", d, d - 0.02, d + 0.02, significant ? 0.01 : 0.4, significant) : null,
        };
        var table = new ResultTable(
            [new("Countdown", new MetricKey(EvalMetrics.PassAtK, 1)), new("Countdown", new MetricKey(EvalMetrics.PassAtK, 8))],
            [
                new(ResultTable.BackboneRow, ResultTable.BackboneArm, [Cell(0.1, -0.2, true), Cell(0.2, -0.3, true)]),
                new("grpo", "grpo", [Cell(0.3), Cell(0.5)]),
                new("dsdr", "dsdr", [Cell(0.31, 0.01), Cell(0.6, 0.1, significant: true)]),
            ]) { Statistics = new ResultStatisticsSummary("grpo", 1000, 1, 0.95, true) };

        Assert.Equal("grpo", SweepCharts.ReferenceRow(table));
        var dsdr = Assert.Single(SweepCharts.DeltaPassAtK(table, "Countdown")); // neither the reference nor the Backbone
        Assert.Equal("dsdr", dsdr.Name);
        Assert.Equal([1.0, 10.0], dsdr.Points.Select(p => Math.Round(p.Mean, 9)));   // points
        Assert.Equal([-1.0, 8.0], dsdr.Points.Select(p => Math.Round(p.Lower, 9)));
        Assert.Equal([3.0], dsdr.Marked);                                              // only k = 8 (log2 = 3) is significant
        var traces = PlotTraces.Build([dsdr], new ChartView()).Cast<Plotly.Blazor.Traces.Scatter>().ToList();
        var stars = Assert.Single(traces, t => t.Name == "dsdr (significant)");
        Assert.Equal([3.0], stars.X.Cast<double>());
        // the rows without differences (the reference's own) draw nothing
        Assert.Equal(["dsdr"], SweepCharts.DeltaPassAtK(table with { Statistics = null }, "Countdown").Select(s => s.Name));
    }

    [Fact]
    public void Metric_names_list_the_preferred_ones_then_evaluations_then_the_rest()
    {
        var ordered = SweepCharts.OrderMetricNames(["lr", "eval/Countdown/pass1", "entropy", "eval/Countdown/avg@16", "reward/mean", "grad_norm"]);
        Assert.Equal(["reward/mean", "entropy", "eval/Countdown/avg@16", "eval/Countdown/pass1", "grad_norm", "lr"], ordered);
    }

    [Fact]
    public void Trial_pass_at_k_takes_the_latest_step_with_pass_figures()
    {
        var (series, ticks, step) = TrialCharts.PassAtK(
        [
            new EvalFigure(50, "Countdown", EvalMetrics.PassAtK, 1, 0.2), new EvalFigure(50, "Countdown", EvalMetrics.PassAtK, 2, 0.3),
            new EvalFigure(100, "Countdown", EvalMetrics.PassAtK, 1, 0.4), new EvalFigure(100, "Countdown", EvalMetrics.PassAtK, 2, 0.5),
            new EvalFigure(150, "Countdown", EvalMetrics.Pass1, null, 0.5),
        ]);
        Assert.Equal(100, step);
        Assert.Equal([0.0, 1.0], ticks);
        Assert.Equal([40.0, 50.0], Assert.Single(series).Points.Select(p => Math.Round(p.Mean, 9)));
    }

    [Fact]
    public void Pool_history_is_three_lines_in_time_order()
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var series = PoolCharts.History([new(t0.AddSeconds(5), 2, 1, 3), new(t0, 2, 2, 4)]);
        Assert.Equal(["online", "busy", "queued"], series.Select(s => s.Name));
        Assert.Equal([2.0, 1.0], series[1].Points.Select(p => p.Mean));
        Assert.Equal("12:00:05", PoolCharts.ClockLabel(series[0].Points[1].X));
    }
}
