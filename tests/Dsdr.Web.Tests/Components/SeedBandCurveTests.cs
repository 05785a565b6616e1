using Dsdr.Storage.Repositories;
using Dsdr.Web.Components.Charts;
using Dsdr.Web.Services;

namespace Dsdr.Web.Tests.Components;

/// <summary>Seed bands from the server's summaries: Core's Student-t interval over the seeds of each row, by hand.</summary>
public class SeedBandCurveTests
{
    private static readonly DateTime At = new(2026, 11, 28, 12, 0, 0, DateTimeKind.Utc);

    private static TrialListItem Trial(string id, string row, int seed, string sweep = "sw") =>
        new(id, sweep, row.Split(' ')[0], row, seed, "completed", 10, 10, 1, null, null, At, At);

    private static MetricSummary Exact(string trial, params (int Step, double Value)[] points) =>
        new(trial, "reward/mean", 1, [.. points.Select(p => MetricBucket.Point(p.Step, p.Value))], points.Length);

    // t_{0.975, 2} (two degrees of freedom), from a t table: 4.302653
    private const double T975With2 = 4.302652729749464;

    [Fact]
    public void Every_step_gets_the_mean_over_its_seeds_and_the_95_percent_t_interval()
    {
        // seeds 0, 1, 2 at step 10: 1, 2, 3 → mean 2, s = 1, half-width t·s/√3; step 20 only seeds 0 and 1: 4 and 6 → mean 5, s = √2
        var curves = SeedBandCurves.Build(
            [Exact("a", (10, 1), (20, 4)), Exact("b", (10, 2), (20, 6)), Exact("c", (10, 3))],
            [Trial("a", "dsdr", 0), Trial("b", "dsdr", 1), Trial("c", "dsdr", 2)]);

        var band = Assert.Single(curves);
        Assert.Equal(("sw", "dsdr", "dsdr", 1), (band.SweepId, band.Row, band.Arm, band.BucketWidth));
        Assert.Equal([0, 1, 2], band.Seeds);
        Assert.Equal([10.0, 20.0], band.Points.Select(p => p.Step));
        var at10 = band.Points[0];
        Assert.Equal((2.0, 3), (at10.Mean, at10.N));
        Assert.Equal(2 - T975With2 / Math.Sqrt(3), at10.Low!.Value, 9);
        Assert.Equal(2 + T975With2 / Math.Sqrt(3), at10.High!.Value, 9);
        var at20 = band.Points[1];
        var t1 = 12.706204736174698; // t_{0.975, 1}
        Assert.Equal(5 + t1 * Math.Sqrt(2) / Math.Sqrt(2), at20.High!.Value, 9);
        Assert.Equal(5 - t1, at20.Low!.Value, 9);
    }

    [Fact]
    public void One_seed_has_no_band_and_rows_and_sweeps_are_their_own_curves()
    {
        var curves = SeedBandCurves.Build(
            [Exact("g", (1, 0.5)), Exact("d", (1, 0.7)), Exact("x", (1, 0.9))],
            [Trial("g", "grpo", 0), Trial("d", "dsdr λd=0.1", 0), Trial("x", "grpo", 0, sweep: "other")]);
        Assert.Equal([("sw", "grpo"), ("sw", "dsdr λd=0.1"), ("other", "grpo")], curves.Select(c => (c.SweepId, c.Row)));
        Assert.All(curves, c => Assert.Null(c.Points[0].Low));
        var series = SweepCharts.SeedBandSeries(curves, ["dsdr λd=0.1", "grpo"]);
        Assert.Equal(["sw · dsdr λd=0.1 (seed 0)", "other · grpo (seed 0)", "sw · grpo (seed 0)"], series.Select(s => s.Name));
        Assert.All(series, s => Assert.False(s.HasBand));
    }

    [Fact]
    public void Buckets_band_each_seeds_bucket_mean_drawn_at_the_middle_of_the_steps_they_cover()
    {
        // width 64: bucket 0 covers steps 0–63 but the data start at 1, bucket 1 covers 64–127 but the data end at 100
        MetricSummary Buckets(string trial, double first, double second) => new(trial, "entropy", 64,
            [new MetricBucket(0, 63, first * 63, first, 1, first, 63), new MetricBucket(1, 37, second * 37, second, 64, second, 100)], 100);
        var band = Assert.Single(SeedBandCurves.Build([Buckets("a", 1, 3), Buckets("b", 2, 5)], [Trial("a", "grpo", 0), Trial("b", "grpo", 1)]));
        Assert.Equal(64, band.BucketWidth);
        Assert.Equal([32.0, 82.0], band.Points.Select(p => p.Step)); // (1 + 63) / 2, (64 + 100) / 2
        Assert.Equal([1.5, 4.0], band.Points.Select(p => p.Mean));
        Assert.Equal(200, band.TotalPoints);
        Assert.Equal(1.5 + 12.706204736174698 * Math.Sqrt(0.5) / Math.Sqrt(2), band.Points[0].High!.Value, 9);
        Assert.Equal(82.0, SeedBandCurves.Middle(1, 64, 1, 100));
    }

    [Fact]
    public void Series_are_named_by_row_with_their_seed_count_in_the_sweeps_order()
    {
        var curves = SeedBandCurves.Build(
            [Exact("t1", (1, 0.1)), Exact("t2", (1, 0.2)), Exact("t3", (1, 0.4))],
            [Trial("t1", "grpo", 0), Trial("t2", "dsdr λd=0.1", 0), Trial("t3", "dsdr λd=0.1", 1)]);
        var series = SweepCharts.SeedBandSeries(curves, ["dsdr λd=0.1", "grpo"]);
        Assert.Equal(["dsdr λd=0.1 (2 seeds, 95 % CI)", "grpo (seed 0)"], series.Select(s => s.Name));
        Assert.Equal(0.3, series[0].Points[0].Mean, 12);
        Assert.True(series[0].HasBand);
        Assert.Equal(ArmColours.Of("grpo"), series[1].Colour);
    }
}
