using System.Text.Json.Nodes;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Tests.Sweeps;

public class SearchTests
{
    [Fact]
    public void Sobol_first_points_are_the_published_ones()
    {
        // the unscrambled Sobol sequence in 3 dimensions (Joe–Kuo directions), e.g. scipy.stats.qmc.Sobol(3, scramble=False)
        double[][] expected =
        [
            [0, 0, 0], [0.5, 0.5, 0.5], [0.75, 0.25, 0.25], [0.25, 0.75, 0.75],
            [0.375, 0.375, 0.625], [0.875, 0.875, 0.125], [0.625, 0.125, 0.875], [0.125, 0.625, 0.375],
        ];
        var points = new SobolSequence(3).Points(8);
        for (var n = 0; n < expected.Length; n++) Assert.Equal(expected[n], points[n]);
    }

    [Fact]
    public void Sobol_in_every_dimension_puts_one_point_in_each_dyadic_cell_of_the_first_power_of_two()
    {
        // (t, s)-net property in one dimension: the first 2^k points hit each interval [i/2^k, (i+1)/2^k) exactly once
        var points = new SobolSequence(SobolSequence.MaxDimensions).Points(64);
        for (var d = 0; d < SobolSequence.MaxDimensions; d++)
            Assert.Equal(Enumerable.Range(0, 64), points.Select(p => (int)(p[d] * 64)).Order());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SobolSequence(SobolSequence.MaxDimensions + 1));
    }

    [Fact]
    public void Log_ranges_are_log_uniform_and_values_keep_four_significant_digits()
    {
        var range = new SearchRange("learningRate", 1e-4, 1e-2, Log: true);
        Assert.Equal(1e-4, SearchSampler.Scale(range, 0));
        Assert.Equal(1e-3, SearchSampler.Scale(range, 0.5), 12);
        Assert.Equal(1e-2, SearchSampler.Scale(range, 1));
        Assert.Equal(0.1235, SearchSampler.Scale(new SearchRange("tau", 0, 1, Log: false), 0.123456));

        var search = new SearchSpec(SearchMethod.Random, 2000, 7, [range]);
        var values = SearchSampler.Points(search).Select(p => (double)p[0].Value!).ToList();
        Assert.All(values, v => Assert.InRange(v, 1e-4, 1e-2));
        // log-uniform: half of the draws below the geometric midpoint 1e-3 (±5 %)
        Assert.InRange(values.Count(v => v < 1e-3) / 2000.0, 0.45, 0.55);
    }

    [Fact]
    public void Draws_are_reproducible_from_the_seed_and_differ_between_seeds()
    {
        SearchSpec Search(SearchMethod method, int seed) => new(method, 8, seed,
            [new SearchRange("lambdaD", 1e-4, 1e-1, true), new SearchRange("tau", 1, 10, false)]);
        foreach (var method in new[] { SearchMethod.Random, SearchMethod.Sobol })
        {
            Assert.Equal(Flat(Search(method, 3)), Flat(Search(method, 3)));
            Assert.NotEqual(Flat(Search(method, 3)), Flat(Search(method, 4)));
        }
        // Sobol with seed s skips s points after the origin: seed 0 starts at the centre of the unit cube
        var first = SearchSampler.Points(Search(SearchMethod.Sobol, 0))[0];
        Assert.Equal(0.003162, (double)first[0].Value!, 6); // exp((ln 1e-4 + ln 1e-1) / 2) = 10^-2.5
        Assert.Equal(5.5, (double)first[1].Value!);

        static List<object?> Flat(SearchSpec s) => [.. SearchSampler.Points(s).SelectMany(p => p.Select(a => a.Value))];
    }

    private static string WithSearch(string search, string? grid = null) => SpecFixtures.With(n =>
    {
        n["search"] = JsonNode.Parse(search);
        if (grid is null) n.Remove("grid");
        else n["grid"] = JsonNode.Parse(grid);
    });

    [Fact]
    public void A_search_expands_to_budget_points_per_arm_and_grid_point_shared_by_the_arms_and_round_trips()
    {
        var spec = SpecFixtures.Valid(WithSearch("""
            {"method": "sobol", "trials": 5, "seed": 1, "space": {"learningRate": {"min": 0.0001, "max": 0.01, "scale": "log"}, "lambdaL": {"min": 0, "max": 0.01}}}
            """, grid: """{"lambdaD": [0.01, 0.1]}"""));
        Assert.Equal((SearchMethod.Sobol, 5, 1), (spec.Search!.Method, spec.Search.Trials, spec.Search.Seed));

        var trials = SweepExpander.Expand(spec);
        // dsdr: 2 λd × 5 points × 2 seeds; grpo pins λd, λℓ (no diversity terms) but not the learning rate: 5 points × 2 seeds
        Assert.Equal(2 * 5 * 2 + 5 * 2, trials.Count);
        Assert.Equal(trials.Count, SweepExpander.CountTrials(spec));
        var grpoRates = trials.Where(t => t.Arm == "grpo").Select(t => t.Config.LearningRate).Distinct().ToList();
        var dsdrRates = trials.Where(t => t.Arm == "dsdr").Select(t => t.Config.LearningRate).Distinct().ToList();
        Assert.Equal(5, grpoRates.Count);
        Assert.Equal(grpoRates.Order(), dsdrRates.Order());
        Assert.All(trials, t => Assert.InRange(t.Config.LearningRate, 1e-4, 1e-2));
        Assert.Contains(trials, t => t.Row.StartsWith("dsdr λd=0.01 lr=", StringComparison.Ordinal));

        var again = SpecFixtures.Valid(SweepSpecWriter.ToJson(spec));
        Assert.Equal(trials.Select(t => t.TrialId), SweepExpander.Expand(again).Select(t => t.TrialId));
    }

    [Theory]
    [InlineData("""{"method": "random", "trials": 4, "space": {"lambdaD": {"min": 0.1, "max": 0.01}}}""", "$.search.space.lambdaD", "min 0.1 is greater than max 0.01")]
    [InlineData("""{"method": "random", "trials": 0, "space": {"lambdaD": {"min": 0, "max": 0.01}}}""", "$.search.trials", "must be ≥ 1")]
    [InlineData("""{"method": "random", "space": {"lambdaD": {"min": 0, "max": 0.01}}}""", "$.search.trials", "is missing")]
    [InlineData("""{"method": "sobol", "trials": 4, "space": {"learningRate": {"min": 0, "max": 0.01, "scale": "log"}}}""", "$.search.space.learningRate.min", "must be > 0")]
    [InlineData("""{"method": "sobol", "trials": 4, "space": {"lambdaD": {"min": 0, "max": 0.01, "scale": "log"}}}""", "$.search.space.lambdaD.min", "a log range needs min > 0")]
    [InlineData("""{"method": "grid", "trials": 4, "space": {"lambdaD": {"min": 0, "max": 0.01}}}""", "$.search.method", "must be \"random\" or \"sobol\"")]
    [InlineData("""{"method": "random", "trials": 4, "space": {"groupSize": {"min": 2, "max": 8}}}""", "$.search.space.groupSize", "not a continuous number")]
    [InlineData("""{"method": "random", "trials": 4, "space": {}}""", "$.search.space", "is empty")]
    [InlineData("""{"method": "random", "trials": 4, "space": {"lambdaD": {"min": 0, "max": 1, "scale": "exp"}}}""", "$.search.space.lambdaD.scale", "must be \"linear\" or \"log\"")]
    [InlineData("""{"method": "random", "trials": 4, "space": {"lambdaD": {"min": 0, "max": 1}}, "budget": 3}""", "$.search.budget", "")]
    public void Bad_search_input_names_the_field(string search, string path, string reason)
    {
        var result = SweepSpecParser.Parse(WithSearch(search));
        Assert.False(result.IsValid);
        Assert.True(result.Errors.Any(e => e.Path == path && e.Reason.Contains(reason, StringComparison.Ordinal)),
            $"expected {path}: …{reason}… among:\n{string.Join("\n", result.Errors)}");
    }

    [Fact]
    public void A_key_on_both_the_grid_and_the_search_is_refused()
    {
        var result = SweepSpecParser.Parse(WithSearch("""{"method": "random", "trials": 4, "space": {"lambdaD": {"min": 0, "max": 0.1}}}""",
            grid: """{"lambdaD": [0.01, 0.1]}"""));
        Assert.Contains(result.Errors, e => e.Path == "$.search.space.lambdaD" && e.Reason.Contains("also a grid axis"));
    }

    [Fact]
    public void The_budget_counts_against_maxTrials()
    {
        var result = SweepSpecParser.Parse(SpecFixtures.With(n =>
        {
            n["search"] = JsonNode.Parse("""{"method": "random", "trials": 300, "space": {"learningRate": {"min": 0.0001, "max": 0.01, "scale": "log"}}}""");
            n["maxTrials"] = 1000;
        }));
        // (grpo 2 λd pinned → 1 + dsdr 2 λd) × 300 points × 2 seeds = 1800 > 1000
        Assert.Contains(result.Errors, e => e.Path == "$.maxTrials" && e.Reason.Contains("1800"));
    }
}
