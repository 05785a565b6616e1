using Dsdr.Core.Results;
using Dsdr.Core.Statistics;
using Dsdr.Core.Tests.Results;

namespace Dsdr.Core.Tests.Statistics;

public class PaperClaimsTests
{
    private static Difference Delta(double low, double high) => new((low + high) / 2, low, high, 0.01, true, 3, true);

    [Theory]
    [InlineData(0.01, 0.2, +1, Verdict.Shown)]
    [InlineData(-0.01, 0.2, +1, Verdict.NotShown)]
    [InlineData(-0.3, -0.05, +1, Verdict.Contradicted)]
    [InlineData(-0.3, -0.05, -1, Verdict.Shown)]         // claimed lower (a similarity): below 0 shows it
    [InlineData(0.05, 0.3, -1, Verdict.Contradicted)]
    [InlineData(0, 0.3, +1, Verdict.NotShown)]           // an interval touching 0 does not exclude it
    public void The_verdict_rule_reads_the_interval_against_the_claimed_direction(double low, double high, int sign, Verdict expected) =>
        Assert.Equal(expected, PaperClaims.Judge(Delta(low, high), sign));

    [Fact]
    public void No_interval_is_not_shown_and_a_direction_must_be_a_sign()
    {
        Assert.Equal(Verdict.NotShown, PaperClaims.Judge(null, +1));
        Assert.Equal(Verdict.NotShown, PaperClaims.Judge(new Difference(0.2, null, null, null, false, 1, true), +1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PaperClaims.Judge(Delta(0, 1), 0));
    }

    [Fact]
    public void The_claims_on_a_seeded_sweep_carry_their_differences_and_verdicts()
    {
        var (records, problems) = ResultStatisticsTests.Sweep();
        var sample = ResultTableBuilder.Sample(records, new ResultTableOptions { IncludeBackbone = true }, problems);
        var checks = PaperClaims.Check(sample, "cd", avgK: 8);
        var avg = checks.Single(c => c.Claim == "DSDR ≥ GRPO on Avg@8");
        Assert.Equal(("dsdr", "grpo", "avg@8", Verdict.Shown), (avg.Row, avg.Reference, avg.Metric, avg.Verdict)); // p 0.55 vs 0.4
        Assert.True(avg.Delta!.Mean > 0.1);
        var widening = checks.Single(c => c.Claim.StartsWith("The pass@k gap widens", StringComparison.Ordinal));
        Assert.NotNull(widening.Delta);
        Assert.Contains("significant", widening.Note);
        // the sweep has no ablation arms: those claims cannot be tested, and say so
        Assert.All(checks.Where(c => c.Claim.StartsWith("Removing", StringComparison.Ordinal)), c => Assert.Equal(Verdict.NotTestable, c.Verdict));
        var vsBackbone = checks.Single(c => c.Claim == "Diversity kept: DSDR keeps the backbone's distinct correct solutions");
        Assert.Equal("Backbone", vsBackbone.Reference);
        Assert.NotEqual(Verdict.NotTestable, vsBackbone.Verdict);
    }

    [Fact]
    public void A_curve_claim_compares_one_value_per_seed()
    {
        var bootstrap = new ProblemSeedBootstrap([1]);
        var higher = PaperClaims.CompareSeeds(bootstrap, "entropy does not collapse", "dsdr", new Dictionary<int, double> { [0] = 0.9, [1] = 1.0, [2] = 1.1 },
            "grpo", new Dictionary<int, double> { [0] = 0.5, [1] = 0.6, [2] = 0.7 }, "entropy", +1);
        Assert.Equal((0.4, Verdict.Shown), (Math.Round(higher.Delta!.Mean, 12), higher.Verdict));
        Assert.Equal(Verdict.NotTestable, PaperClaims.CompareSeeds(bootstrap, "x", "dsdr", null, "grpo", new Dictionary<int, double> { [0] = 1 }, "entropy", +1).Verdict);
    }
}
