using Dsdr.Core.Statistics;

namespace Dsdr.Core.Tests.Statistics;

public class SeedBandTests
{
    [Fact]
    public void The_band_is_the_mean_plus_minus_t_times_the_standard_error()
    {
        // values 1, 2, 3: mean 2, s = 1, t_{0.975, 2} = 4.302653 → half-width 4.302653 / √3 = 2.484138
        var (mean, low, high) = SeedBand.Of([1, 2, 3]);
        Assert.Equal(2, mean, 12);
        Assert.Equal(2 - 2.484138, low!.Value, 5);
        Assert.Equal(2 + 2.484138, high!.Value, 5);
        Assert.Equal((null, null), (SeedBand.Of([5]).Low, SeedBand.Of([5]).High));
    }

    [Theory]
    [InlineData(1, 12.7062047)]
    [InlineData(4, 2.7764451)]
    [InlineData(30, 2.0422725)]
    public void Student_t_quantiles_match_the_tables(int df, double expected) =>
        Assert.Equal(expected, SeedBand.TQuantile(0.975, df), 5);

    [Fact]
    public void Curves_are_banded_at_every_step_over_the_seeds_that_reached_it()
    {
        var band = SeedBand.OverSteps([new Dictionary<int, double> { [0] = 1, [10] = 2 }, new Dictionary<int, double> { [0] = 3, [10] = 4, [20] = 5 }]);
        Assert.Equal([0, 10, 20], band.Select(p => p.Step));
        Assert.Equal([2.0, 3.0, 5.0], band.Select(p => p.Mean));
        Assert.Equal([2, 2, 1], band.Select(p => p.N));
        Assert.Null(band[2].Low);
        Assert.Throws<ArgumentOutOfRangeException>(() => SeedBand.Of([1, 2], level: 1));
    }
}
