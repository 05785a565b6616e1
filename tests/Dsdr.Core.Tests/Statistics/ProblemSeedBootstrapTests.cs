using Dsdr.Core.Statistics;

namespace Dsdr.Core.Tests.Statistics;

public class ProblemSeedBootstrapTests
{
    private static IReadOnlyDictionary<int, SeedFigure> OneSeed(SeedFigure figure, int seed = 0) => new Dictionary<int, SeedFigure> { [seed] = figure };

    private static SeedFigure Problems(IEnumerable<double?> values) => SeedFigure.OverProblemsOf(0, [.. values]);

    private static double?[] Bernoulli(int n, int ones) => [.. Enumerable.Range(0, n).Select(i => (double?)(i < ones ? 1 : 0))];

    [Fact]
    public void A_figure_constant_across_problems_has_a_zero_width_interval()
    {
        var bootstrap = new ProblemSeedBootstrap([50]);
        var cell = bootstrap.Estimate("grpo", OneSeed(Problems(Enumerable.Repeat<double?>(0.4, 50))));
        Assert.Equal(0.4, cell.Mean, 12);
        Assert.Equal(0.4, cell.CiLow!.Value, 12);
        Assert.Equal(0.4, cell.CiHigh!.Value, 12);
        Assert.Equal(0, cell.StandardError!.Value, 12);
    }

    [Fact]
    public void The_bootstrap_variance_of_a_mean_of_Bernoulli_outcomes_is_p_times_one_minus_p_over_n()
    {
        // n = 200 problems, 60 correct: p̂ = 0.3, Var*(mean) = p̂(1 − p̂)/n = 0.00105
        var bootstrap = new ProblemSeedBootstrap([200], new BootstrapOptions { Replicates = 4000 });
        var cell = bootstrap.Estimate("grpo", OneSeed(Problems(Bernoulli(200, 60))));
        Assert.Equal(0.3, cell.Mean, 12);
        var variance = cell.StandardError!.Value * cell.StandardError.Value;
        Assert.InRange(variance / (0.3 * 0.7 / 200), 0.93, 1.07);
        // the 95 % interval is about ±1.96 SE around p̂
        Assert.InRange(cell.CiLow!.Value, 0.3 - 1.96 * 0.0324 - 0.01, 0.3 - 1.96 * 0.0324 + 0.01);
        Assert.InRange(cell.CiHigh!.Value, 0.3 + 1.96 * 0.0324 - 0.01, 0.3 + 1.96 * 0.0324 + 0.01);
    }

    [Fact]
    public void Seeds_alone_are_resampled_when_there_are_no_per_problem_values()
    {
        // bootstrap SE of a mean of n values = population sd / √n: values 1…5 → sqrt(2) / sqrt(5) = 0.632
        var bootstrap = new ProblemSeedBootstrap([1], new BootstrapOptions { Replicates = 4000 });
        var seeds = Enumerable.Range(1, 5).ToDictionary(s => s, s => SeedFigure.Fixed(s));
        var cell = bootstrap.Estimate("dsdr", seeds);
        Assert.Equal((3.0, 5), (cell.Mean, cell.Seeds));
        Assert.InRange(cell.StandardError!.Value, 0.632 * 0.95, 0.632 * 1.05);
        Assert.InRange(cell.CiLow!.Value, 1.0, 3.0);
        Assert.InRange(cell.CiHigh!.Value, 3.0, 5.0);

        // one seed and nothing to resample: no interval rather than a zero-width one
        var single = bootstrap.Estimate("dsdr", OneSeed(SeedFigure.Fixed(0.7)));
        Assert.Equal((0.7, (double?)null, (double?)null), (single.Mean, single.CiLow, single.CiHigh));
    }

    [Fact]
    public void Identical_arms_differ_by_zero_with_p_one()
    {
        var bootstrap = new ProblemSeedBootstrap([40]);
        var values = Enumerable.Range(0, 40).Select(i => (double?)(i % 3 / 2.0)).ToList();
        IReadOnlyDictionary<int, SeedFigure> Arm() => new Dictionary<int, SeedFigure> { [0] = Problems(values), [1] = Problems(values.Select(v => v / 2)) };
        var delta = bootstrap.Difference("dsdr", Arm(), "grpo", Arm());
        Assert.Equal((0.0, 0.0, 0.0, 1.0, false, true), (delta.Mean, delta.CiLow!.Value, delta.CiHigh!.Value, delta.P!.Value, delta.Significant, delta.Paired));
    }

    [Fact]
    public void A_fixed_shift_is_the_difference_and_is_significant()
    {
        var bootstrap = new ProblemSeedBootstrap([40], new BootstrapOptions { Replicates = 999 });
        var noise = Enumerable.Range(0, 40).Select(i => (double?)((i * 37 % 11) / 11.0)).ToList();
        var grpo = new Dictionary<int, SeedFigure> { [0] = Problems(noise), [1] = Problems(noise.Select(v => 1 - v)) };
        var dsdr = new Dictionary<int, SeedFigure> { [0] = Problems(noise.Select(v => v + 0.125)), [1] = Problems(noise.Select(v => 1 - v + 0.125)) };
        var delta = bootstrap.Difference("dsdr", dsdr, "grpo", grpo);
        Assert.Equal(0.125, delta.Mean, 12);
        Assert.Equal(0.125, delta.CiLow!.Value, 12);
        Assert.Equal(0.125, delta.CiHigh!.Value, 12);
        Assert.Equal(2.0 / 1000, delta.P!.Value, 12);  // no replicate ≤ 0: p = 2·1/(B+1)
        Assert.True(delta.Significant);

        // the reverse difference is the same shift, negative
        var reverse = bootstrap.Difference("grpo", grpo, "dsdr", dsdr);
        Assert.Equal(-0.125, reverse.Mean, 12);
        Assert.Equal(2.0 / 1000, reverse.P!.Value, 12);
    }

    [Fact]
    public void Pairing_by_seed_and_sharing_the_problem_resample_remove_shared_noise()
    {
        // both arms share a large per-seed offset and per-problem difficulty; dsdr is 0.05 better on every problem
        var bootstrap = new ProblemSeedBootstrap([60]);
        var difficulty = Enumerable.Range(0, 60).Select(i => (i * 7919 % 60) / 60.0).ToList();
        IReadOnlyDictionary<int, SeedFigure> Arm(double shift) => Enumerable.Range(0, 4)
            .ToDictionary(s => s, s => Problems(difficulty.Select(d => (double?)(d + 0.5 * s + shift))));
        var (grpo, dsdr) = (Arm(0), Arm(0.05));
        var cell = bootstrap.Estimate("grpo", grpo);
        var delta = bootstrap.Difference("dsdr", dsdr, "grpo", grpo);
        Assert.True(cell.CiHigh - cell.CiLow > 0.5, $"a cell's interval holds the seed and problem spread: [{cell.CiLow}, {cell.CiHigh}]");
        Assert.Equal(0.05, delta.Mean, 12);
        Assert.Equal(0.05, delta.CiLow!.Value, 12);
        Assert.Equal(0.05, delta.CiHigh!.Value, 12);
        Assert.True(delta.Paired);

        // with no seed in common the sides are resampled independently: the shared noise is back
        var other = Enumerable.Range(10, 4).ToDictionary(s => s, s => dsdr[s - 10]);
        var unpaired = bootstrap.Difference("dsdr", other, "grpo", grpo);
        Assert.False(unpaired.Paired);
        Assert.Equal(0.05, unpaired.Mean, 12);
        Assert.True(unpaired.CiHigh - unpaired.CiLow > 0.5);
        Assert.False(unpaired.Significant);
    }

    [Fact]
    public void The_same_seed_gives_the_same_intervals_and_another_seed_others()
    {
        var values = Bernoulli(80, 30);
        Estimate Run(ulong seed) => new ProblemSeedBootstrap([80], new BootstrapOptions { Seed = seed, Replicates = 500 })
            .Estimate("grpo", new Dictionary<int, SeedFigure> { [0] = Problems(values), [1] = Problems(values.Reverse()) });
        Assert.Equal(Run(7), Run(7));
        Assert.NotEqual(Run(7), Run(8));
    }

    [Fact]
    public void A_cells_interval_does_not_depend_on_which_other_cells_are_computed()
    {
        var values = Bernoulli(80, 30);
        var grpo = new Dictionary<int, SeedFigure> { [0] = Problems(values), [1] = Problems(values.Reverse()) };
        var dsdr = new Dictionary<int, SeedFigure> { [0] = Problems(Bernoulli(80, 50)), [1] = Problems(values) };
        var alone = new ProblemSeedBootstrap([80]).Estimate("grpo", grpo);
        var afterOthers = new ProblemSeedBootstrap([80]);
        afterOthers.Estimate("dsdr", dsdr);
        afterOthers.Difference("dsdr", dsdr, "grpo", grpo);
        Assert.Equal(alone, afterOthers.Estimate("grpo", grpo));
    }

    [Fact]
    public void A_contrast_of_differences_is_the_difference_of_their_means()
    {
        // (dsdr@K − grpo@K) − (dsdr@1 − grpo@1): the gap widens by 0.2 − 0.05
        var bootstrap = new ProblemSeedBootstrap([30]);
        var baseValues = Enumerable.Range(0, 30).Select(i => (double?)(i % 5 / 5.0)).ToList();
        IReadOnlyDictionary<int, SeedFigure> Arm(double shift) => Enumerable.Range(0, 3).ToDictionary(s => s, s => Problems(baseValues.Select(v => v + shift + s / 10.0)));
        var grpo = Arm(0);
        var widening = bootstrap.Contrast([new(1, "dsdr", Arm(0.2)), new(-1, "grpo", grpo), new(-1, "dsdr", Arm(0.05)), new(1, "grpo", grpo)]);
        Assert.Equal(0.15, widening.Mean, 12);
        Assert.Equal(0.15, widening.CiLow!.Value, 9);
        Assert.True(widening.Significant);
    }

    [Fact]
    public void An_average_over_benchmarks_resamples_each_benchmark()
    {
        var bootstrap = new ProblemSeedBootstrap([20, 10]);
        var a = SeedFigure.OverProblemsOf(0, Bernoulli(20, 10));
        var b = SeedFigure.OverProblemsOf(1, Enumerable.Repeat<double?>(1, 10).ToList());
        var cell = bootstrap.Estimate("grpo", OneSeed(SeedFigure.Average([a, b])));
        Assert.Equal(0.75, cell.Mean, 12);
        Assert.True(cell.CiLow < 0.75 && cell.CiHigh > 0.75 && cell.CiHigh <= 1.0);
    }

    [Fact]
    public void Undefined_problems_are_left_out_of_the_mean()
    {
        var bootstrap = new ProblemSeedBootstrap([4]);
        var cell = bootstrap.Estimate("grpo", OneSeed(Problems([0.5, null, 0.5, null])));
        Assert.Equal((0.5, 0.5, 0.5), (cell.Mean, cell.CiLow!.Value, cell.CiHigh!.Value));
    }

    [Fact]
    public void The_replicate_count_is_configurable_and_bad_settings_are_refused()
    {
        Assert.Equal(2000, new ProblemSeedBootstrap([5]).Options.Replicates);
        Assert.Equal(50, new ProblemSeedBootstrap([5], new BootstrapOptions { Replicates = 50 }).Options.Replicates);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProblemSeedBootstrap([5], new BootstrapOptions { Replicates = 3 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ProblemSeedBootstrap([5], new BootstrapOptions { Level = 1.5 }));
        Assert.Throws<ArgumentException>(() => new ProblemSeedBootstrap([0]));
        var bootstrap = new ProblemSeedBootstrap([5]);
        Assert.Throws<ArgumentException>(() => bootstrap.Estimate("x", OneSeed(Problems([1, 2, 3]))));        // 3 values for 5 problems
        Assert.Throws<ArgumentException>(() => bootstrap.Estimate("x", OneSeed(SeedFigure.OverProblemsOf(1, Bernoulli(5, 1)))));
        Assert.Throws<ArgumentException>(() => bootstrap.Estimate("x", new Dictionary<int, SeedFigure>()));
    }

    [Fact]
    public void Quantiles_and_p_values_follow_their_definitions()
    {
        double[] sorted = [1, 2, 3, 4];
        Assert.Equal(1.0, ProblemSeedBootstrap.Quantile(sorted, 0));
        Assert.Equal(2.5, ProblemSeedBootstrap.Quantile(sorted, 0.5));
        Assert.Equal(3.25, ProblemSeedBootstrap.Quantile(sorted, 0.75));  // h = 2.25
        Assert.Equal(4.0, ProblemSeedBootstrap.Quantile(sorted, 1));
        Assert.Equal(2 * 3 / 11.0, ProblemSeedBootstrap.PValue([-1, -0.5, 1, 2, 3, 4, 5, 6, 7, 8])!.Value, 12); // 2·(2+1)/(10+1)
        Assert.Equal(1.0, ProblemSeedBootstrap.PValue([0, 0, 0])!.Value);
        Assert.Null(ProblemSeedBootstrap.PValue([double.NaN]));
    }
}
