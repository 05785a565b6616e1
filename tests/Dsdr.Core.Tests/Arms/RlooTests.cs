using Dsdr.Core.Arms;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using static Dsdr.Core.Tests.Sweeps.SpecFixtures;

namespace Dsdr.Core.Tests.Arms;

public class RlooTests
{
    private static void Close(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 12);
    }

    [Fact]
    public void Each_rollout_is_judged_against_the_mean_of_the_others()
    {
        // r = [1, 0, 0, 1]: A_0 = 1 − (0 + 0 + 1)/3, A_1 = 0 − (1 + 0 + 1)/3, …
        Close([2.0 / 3, -2.0 / 3, -2.0 / 3, 2.0 / 3], Rloo.Advantages([1, 0, 0, 1]));
        // r = [1, 0.5, 0]: A_0 = 1 − (0.5 + 0)/2 = 0.75, A_1 = 0.5 − (1 + 0)/2 = 0, A_2 = 0 − (1 + 0.5)/2 = −0.75
        Close([0.75, 0, -0.75], Rloo.Advantages([1, 0.5, 0]));
        // one correct of eight: A = 1 − 0 for it, 0 − 1/7 for the others
        Close([1, -1.0 / 7, -1.0 / 7, -1.0 / 7, -1.0 / 7, -1.0 / 7, -1.0 / 7, -1.0 / 7], Rloo.Advantages([1, 0, 0, 0, 0, 0, 0, 0]));
    }

    [Fact]
    public void It_is_the_centred_reward_scaled_by_g_over_g_minus_one_and_sums_to_zero()
    {
        double[] r = [0.3, 1, 0, 0.7, 0.2];
        var mean = r.Average();
        Close(r.Select(x => 5.0 / 4 * (x - mean)).ToArray(), Rloo.Advantages(r));
        Assert.Equal(0, Rloo.Advantages(r).Sum(), 12);
    }

    [Fact]
    public void A_uniform_group_and_a_group_of_one_carry_no_signal()
    {
        Assert.Equal([0.0, 0.0, 0.0], Rloo.Advantages([1, 1, 1]));
        Assert.Equal([0.0], Rloo.Advantages([1]));
        Assert.Empty(Rloo.Advantages([]));
    }

    [Fact]
    public void The_rloo_arm_scores_groups_with_the_leave_one_out_estimator()
    {
        Assert.Same(Rloo.Estimator, MethodRegistries.AdvantageEstimators.Get("rloo"));
        var config = ArmPresets.Get("rloo").Resolve([new("lambdaD", 0.5), new("advantageEstimator", "grpo")], []);
        Assert.Equal(("rloo", false), (config.AdvantageEstimator, config.StdNormalize));
        Assert.Equal((0.0, 0.0, 0.0), (config.LambdaD, config.LambdaL, config.Tau));
        Assert.Equal((0.2, 0.2), (config.ClipLow, config.ClipHigh));
        var scores = GroupScorer.ScoreRewardsOnly([1, 0, 0, 1], config.ToScoringConfig());
        Close([2.0 / 3, -2.0 / 3, -2.0 / 3, 2.0 / 3], scores.Advantages);
    }

    [Fact]
    public void A_sweep_spec_can_list_the_rloo_arm()
    {
        var spec = Valid(With(o =>
        {
            o["arms"] = new System.Text.Json.Nodes.JsonArray("grpo", "rloo");
            o.Remove("grid");
        }));
        Assert.Equal(["grpo", "rloo"], SweepExpander.Expand(spec).Select(t => t.Arm).Distinct());
    }
}
