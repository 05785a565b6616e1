using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Tests.Sweeps;

public class EarlyStoppingTests
{
    [Fact]
    public void Asha_keeps_the_top_third_of_the_trials_that_reached_a_rung()
    {
        var rule = new AshaRule("reward/mean", [10, 30], ReductionFactor: 3);
        Assert.True(rule.Continues(0.1, [0.1]));             // fewer than η at the rung: no evidence yet
        Assert.True(rule.Continues(0.1, [0.5, 0.1]));
        Assert.False(rule.Continues(0.1, [0.5, 0.3, 0.1]));   // n = 3: only the best goes on
        Assert.True(rule.Continues(0.5, [0.5, 0.3, 0.1]));
        Assert.True(rule.Continues(0.4, [0.5, 0.4, 0.3, 0.2, 0.1, 0.0])); // n = 6: the best two go on
        Assert.False(rule.Continues(0.3, [0.5, 0.4, 0.3, 0.2, 0.1, 0.0]));

        var loss = rule with { Maximize = false };
        Assert.True(loss.Continues(0.1, [0.5, 0.3, 0.1]));
        Assert.False(loss.Continues(0.5, [0.5, 0.3, 0.1]));
        Assert.Contains("not in the top 1/3 of the 3 trials", rule.StopReason(10, 0.1, 3));
    }

    [Fact]
    public void Asha_with_a_rung_at_or_beyond_the_total_steps_names_the_rung()
    {
        var problems = new AshaRule("reward/mean", [10, 10, 200], ReductionFactor: 1).Problems(totalSteps: 200);
        Assert.Contains(problems, p => p.Field == "rungs[2]" && p.Reason.Contains("not below the trials' total steps 200"));
        Assert.Contains(problems, p => p.Field == "rungs[1]" && p.Reason.Contains("greater than the rung before it"));
        Assert.Contains(problems, p => p.Field == "reductionFactor");
        Assert.Empty(new AshaRule("reward/mean", [10, 30, 90]).Problems(totalSteps: 100));
    }

    [Fact]
    public void Diversity_collapse_stops_after_patience_evaluations_below_the_fraction_of_the_backbone()
    {
        var rule = new DiversityCollapseRule("distinct", Fraction: 0.5, Patience: 2);
        Assert.Null(rule.StopReason([(50, 2.5), (100, 1.0)], backbone: 4));          // one below 2.0, not two
        Assert.Null(rule.StopReason([(50, 1.9), (100, 2.0)], backbone: 4));          // 2.0 is not below 2.0
        var reason = rule.StopReason([(150, 1.5), (50, 3.0), (100, 1.9)], backbone: 4); // step order, not list order
        Assert.NotNull(reason);
        Assert.Contains("steps 100, 150", reason);
        Assert.Null(rule.StopReason([(50, 0.0), (100, 0.0)], backbone: 0));
        Assert.Contains(new DiversityCollapseRule("", 1.5, 0).Problems(), p => p.Field == "fraction");
    }
}
