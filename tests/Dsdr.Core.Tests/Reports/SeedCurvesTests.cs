using Dsdr.Core.Reports;
using Dsdr.Core.Results;

namespace Dsdr.Core.Tests.Reports;

public class SeedCurvesTests
{
    private static StepValue[] Curve(params (int Step, double Value)[] points) => [.. points.Select(p => new StepValue(p.Step, p.Value))];

    [Fact]
    public void The_late_mean_is_the_mean_over_the_last_tenth_of_the_steps()
    {
        // steps 1 … 150 with v = step: the window is s > 150 − 15, the mean of 136 … 150 = 143
        Assert.Equal(143.0, SeedCurves.LateMean([.. Enumerable.Range(1, 150).Select(s => new StepValue(s, s))]));
        // S = 20: ⌈0.1 · 20⌉ = 2 steps, (0.85 + 0.95) / 2
        Assert.Equal(0.9, SeedCurves.LateMean(Curve((1, 5), (18, 5), (19, 0.85), (20, 0.95)))!.Value, 12);
        // S = 5: ⌈0.5⌉ = 1, at least the last step; the points' order does not matter
        Assert.Equal(7.0, SeedCurves.LateMean(Curve((5, 7), (1, 3), (4, 100))));
        // the last 50 % of steps 0 … 10: s > 5
        Assert.Equal(8.0, SeedCurves.LateMean([.. Enumerable.Range(0, 11).Select(s => new StepValue(s, s))], 0.5));
        Assert.Equal(2.0, SeedCurves.LateMean(Curve((0, 2))));
        Assert.Null(SeedCurves.LateMean([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => SeedCurves.LateMean(Curve((1, 1)), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SeedCurves.LateMean(Curve((1, 1)), 1.5));
    }

    [Fact]
    public void Long_curves_are_averaged_in_step_windows_ending_at_multiples_of_the_width()
    {
        Assert.Equal(1, SeedCurves.BinWidth(150, 200));
        Assert.Equal(5, SeedCurves.BinWidth(1000, 200));
        Assert.Equal(6, SeedCurves.BinWidth(1001, 200));
        Assert.Equal(1, SeedCurves.BinWidth(0, 200));
        var binned = SeedCurves.Binned(Curve((0, 9), (1, 1), (2, 2), (3, 6), (4, 4), (7, 7)), 3);
        Assert.Equal(new Dictionary<int, double> { [0] = 9, [3] = 3, [6] = 4, [9] = 7 }, binned);
        Assert.Equal(new Dictionary<int, double> { [1] = 1, [2] = 2 }, SeedCurves.Binned(Curve((1, 1), (2, 2)), 1));
    }

    [Fact]
    public void Verdicts_are_written_as_the_paper_claims_table_reads_them()
    {
        Assert.Equal(["shown", "not shown", "contradicted", "not testable"],
            Enum.GetValues<Dsdr.Core.Statistics.Verdict>().Select(Verdicts.Word));
    }

    [Fact]
    public void Every_row_has_one_colour_the_known_arms_fixed_places_in_the_palette()
    {
        Assert.Equal("#4e79a7", ArmPalette.Of("grpo"));
        Assert.Equal(ArmPalette.At(2), ArmPalette.Of("dsdr"));
        Assert.Equal(ArmPalette.At(9), ArmPalette.Of(ResultTable.BackboneRow));
        Assert.Equal(ArmPalette.Of("dsdr λd=0.1"), ArmPalette.Of("dsdr λd=0.1"));
        Assert.Contains(ArmPalette.Of("dsdr λd=0.1"), ArmPalette.Colours);
        Assert.Equal(ArmPalette.At(-1), ArmPalette.At(9));
    }
}
