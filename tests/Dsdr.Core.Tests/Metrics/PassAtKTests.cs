using Dsdr.Core.Metrics;

namespace Dsdr.Core.Tests.Metrics;

public class PassAtKTests
{
    // fraction of k-subsets of n samples (c of them correct) that hold at least one correct sample, by enumeration
    private static double EnumeratedPassAtK(int n, int c, int k)
    {
        long hits = 0, subsets = 0;
        for (int mask = 0; mask < 1 << n; mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) != k) continue;
            subsets++;
            if ((mask & ((1 << c) - 1)) != 0) hits++; // samples 0..c−1 are the correct ones
        }
        return (double)hits / subsets;
    }

    [Fact]
    public void Matches_subset_enumeration_for_every_small_case()
    {
        for (int n = 1; n <= 12; n++)
            for (int c = 0; c <= n; c++)
                for (int k = 1; k <= n; k++)
                    Assert.Equal(EnumeratedPassAtK(n, c, k), PassAtK.Estimate(n, c, k), 12);
    }

    [Theory]
    [InlineData(10, 3, 1, 0.3)]             // pass@1 = c/n
    [InlineData(4, 1, 2, 0.5)]              // 1 − C(3,2)/C(4,2) = 1 − 3/6
    [InlineData(5, 2, 2, 0.7)]              // 1 − C(3,2)/C(5,2) = 1 − 3/10
    [InlineData(6, 2, 3, 0.8)]              // 1 − C(4,3)/C(6,3) = 1 − 4/20
    [InlineData(8, 0, 4, 0.0)]
    [InlineData(8, 5, 4, 1.0)]              // n − c = 3 < k
    [InlineData(8, 8, 8, 1.0)]
    public void Hand_computed_values(int n, int c, int k, double expected)
    {
        Assert.Equal(expected, PassAtK.Estimate(n, c, k), 14);
    }

    [Fact]
    public void Large_n_stays_finite_and_monotone_in_k()
    {
        // C(1024, 512) overflows doubles; the product form does not
        double previous = 0;
        foreach (int k in PassAtK.CurveKs(1024))
        {
            double p = PassAtK.Estimate(1024, 3, k);
            Assert.True(double.IsFinite(p) && p >= previous);
            previous = p;
        }
        // 1 − C(1021,2)/C(1024,2) = 1 − (1021·1020)/(1024·1023)
        Assert.Equal(1 - 1021.0 * 1020 / (1024.0 * 1023), PassAtK.Estimate(1024, 3, 2), 14);
    }

    [Theory]
    [InlineData(0, 0, 1, "n")]
    [InlineData(4, 5, 1, "c")]
    [InlineData(4, -1, 1, "c")]
    [InlineData(4, 2, 0, "k")]
    [InlineData(4, 2, 5, "k")]
    public void Bad_arguments_name_the_argument(int n, int c, int k, string name)
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(n, c, k));
        Assert.Equal(name, ex.ParamName);
    }

    [Fact]
    public void K_greater_than_n_says_more_samples_are_needed()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.Estimate(16, 3, 64));
        Assert.Contains("at least k samples", ex.Message);
    }

    [Theory]
    [InlineData(1, new[] { 1 })]
    [InlineData(8, new[] { 1, 2, 4, 8 })]
    [InlineData(10, new[] { 1, 2, 4, 8, 10 })]
    [InlineData(64, new[] { 1, 2, 4, 8, 16, 32, 64 })]
    public void Curve_ks_double_up_to_n(int n, int[] expected)
    {
        Assert.Equal(expected, PassAtK.CurveKs(n));
    }

    [Fact]
    public void Curve_of_one_problem()
    {
        var curve = PassAtK.Curve(4, 1);
        Assert.Equal([new PassAtKPoint(1, 0.25), new PassAtKPoint(2, 0.5), new PassAtKPoint(4, 1.0)], curve);
    }

    [Fact]
    public void Benchmark_curve_averages_problems_up_to_the_smallest_n()
    {
        ProblemOutcome[] problems = [new(4, 1), new(4, 0), new(8, 8)];
        Assert.Equal((0.25 + 0 + 1) / 3, PassAtK.MeanOverProblems(problems, 1), 14);
        var curve = PassAtK.CurveOverProblems(problems);
        Assert.Equal([1, 2, 4], curve.Select(p => p.K));
        Assert.Equal((0.5 + 0 + 1) / 3, curve[1].Value, 14);
        Assert.Throws<ArgumentException>(() => PassAtK.CurveOverProblems([]));
        Assert.Throws<ArgumentOutOfRangeException>(() => PassAtK.MeanOverProblems(problems, 8)); // problem 1 has n = 4
    }
}
