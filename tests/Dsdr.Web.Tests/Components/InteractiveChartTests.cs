using Bunit;
using Dsdr.Core.Results;
using Dsdr.Web.Components.Charts;
using Dsdr.Web.Components.Pages;
using Dsdr.Web.Components.Results;
using Dsdr.Web.Services;
using Plotly.Blazor.Traces;

namespace Dsdr.Web.Tests.Components;

/// <summary>The Plotly charts' model: smoothing, bands, colours, CSV, Δpass@k, and the precision that tells figures apart.</summary>
public class InteractiveChartTests : DashboardContext
{
    [Fact]
    public void Ema_is_debiased_so_it_starts_at_the_first_value()
    {
        // w = 0.5: s1 = 0.5·4 = 2 → 2/(1−0.5) = 4; s2 = 0.5·2 + 0.5·8 = 5 → 5/(1−0.25) = 6.667; s3 = 0.5·5 + 0.5·2 = 3.5 → 3.5/0.875 = 4
        var smoothed = Smoothing.Ema([4, 8, 2], 0.5);
        Assert.Equal([4, 20.0 / 3, 4], smoothed.Select(v => Math.Round(v, 9)), new RoundedComparer());
        Assert.Equal([4.0, 8, 2], Smoothing.Ema([4, 8, 2], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Smoothing.Ema([1], 1));
    }

    private sealed class RoundedComparer : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) < 1e-9;
        public int GetHashCode(double v) => 0;
    }

    [Fact]
    public void Arms_keep_their_colour_on_every_chart_and_other_rows_a_stable_one()
    {
        Assert.Equal(SeriesColours.At(2), ArmColours.Of("dsdr"));
        Assert.Equal(SeriesColours.At(0), ArmColours.Of("grpo"));
        Assert.Equal(ArmColours.Of("dsdr λ_d=0.1"), ArmColours.Of("dsdr λ_d=0.1"));
        var band = SweepCharts.SeedBandSeries([new SeedBandCurve("s", "dsdr", "dsdr", [0], "m", [new(1, 1, null, null, 1)], 1, 1)], []);
        Assert.Equal(ArmColours.Of("dsdr"), band[0].Colour);
    }

    [Fact]
    public void Smoothing_draws_the_raw_curve_faint_behind_and_a_band_as_two_filled_edges()
    {
        var series = new ChartSeries("dsdr", [new(0, 1, 0.5, 1.5, 2), new(1, 2, 1.5, 2.5, 2)], "#4e79a7");
        var plain = PlotTraces.Build([series], new ChartView());
        Assert.Equal(["dsdr upper", "dsdr lower", "dsdr"], plain.Cast<Scatter>().Select(t => t.Name));
        Assert.Equal("rgba(78,121,167,0.18)", ((Scatter)plain[1]).FillColor);

        var smoothed = PlotTraces.Build([series], new ChartView(Smoothing: 0.5)).Cast<Scatter>().ToList();
        Assert.Equal(["dsdr upper", "dsdr lower", "dsdr (raw)", "dsdr"], smoothed.Select(t => t.Name));
        Assert.Equal(0.25m, smoothed[2].Opacity);
        Assert.Equal([1.0, 2.0], smoothed[2].Y.Cast<double>()); // raw
        Assert.Equal([1.0, 5.0 / 3], smoothed[3].Y.Cast<double>().Select(v => Math.Round(v, 12)), new RoundedComparer()); // (0.25 + 0.5·2)/0.75
        Assert.Contains("customdata[0]", smoothed[3].HoverTemplate); // hover shows the exact value, not the smoothed one alone
    }

    [Fact]
    public void Csv_lists_every_point_with_its_band()
    {
        var csv = ChartCsv.Write([new ChartSeries("a,b", [new(1, 0.5, 0.25, 0.75, 2)]), ChartSeries.Line("c", [(2, 3.0)])], "step", "reward/mean");
        Assert.Equal("series,step,reward/mean,lower,upper,n\n\"a,b\",1,0.5,0.25,0.75,2\nc,2,3,,,1\n", csv);
    }

    [Fact]
    public void Figures_get_the_decimals_that_tell_them_apart()
    {
        var similarity = new MetricKey("similarity/semantic");
        Assert.Equal(4, ResultText.Separating([0.992, 0.987, 0.9921], similarity).Decimals); // 0.9920 vs 0.9921 need four
        Assert.Equal("0.992", ResultText.Number(0.9921, similarity, ResultText.Separating([0.9921, 0.987], similarity)));
        Assert.Equal(1, ResultText.Separating([0.31, 0.52], new MetricKey(EvalMetrics.Pass1)).Decimals); // 31.0 % vs 52.0 %
        Assert.Equal(4, ResultText.Separating([0.5, 0.5000001], similarity).Decimals); // capped
    }

    [Fact]
    public void A_zoom_on_the_sweep_curves_loads_that_window_of_exact_points()
    {
        var at = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var sweep = new SweepListItem("s1", "s1", "running", 1, 0, 1, 0, 0, 0, at, at);
        var trial = new TrialListItem("t1", "s1", "dsdr", "dsdr", 0, "running", 9, 10, 1, null, null, at, null);
        Platform.SweepDetails["s1"] = new SweepDetails(sweep, "{}", [trial], ["dsdr"], [], []);
        Platform.Curves.Add(new MetricCurve("t1", "dsdr", "dsdr", 0, "reward/mean", [.. Enumerable.Range(0, 10).Select(i => new CurvePoint(i, i))], 10));
        var cut = Render<SweepPage>(p => p.Add(x => x.SweepId, "s1"));
        Assert.Equal("10", cut.Find("[data-testid=curve-chart-legend] li").GetAttribute("data-points"));

        var chart = cut.FindComponents<InteractiveChart>().Single(c => c.Instance.TestId == "curve-chart");
        cut.InvokeAsync(() => chart.Instance.Zoomed.InvokeAsync((2.4, 5.6)));
        cut.WaitForAssertion(() => Assert.Equal("5", cut.Find("[data-testid=curve-chart-legend] li").GetAttribute("data-points"))); // steps 2..6
        Assert.Equal(((int?)2, (int?)6), (Platform.BandRequests.Last().From, Platform.BandRequests.Last().To));
        Assert.Contains("2.4–5.6", cut.Find("[data-testid=curve-chart-zoom]").TextContent);

        cut.InvokeAsync(() => chart.Instance.Zoomed.InvokeAsync(null));
        cut.WaitForAssertion(() => Assert.Equal("10", cut.Find("[data-testid=curve-chart-legend] li").GetAttribute("data-points")));
    }
}
