using Dsdr.Core.Arms;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Losses;
using Dsdr.Learning.Tests.Losses;
using Dsdr.Learning.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using LossAggregation = Dsdr.Learning.Losses.LossAggregation;

namespace Dsdr.Learning.Tests.Arms;

public class DrGrpoTests
{
    private static readonly double[] Loss = [1, 2, 3, 4, 5, 6];
    private static readonly double[] Mask = [1, 1, 0, 1, 0, 0];

    [Fact]
    public void Token_sums_are_divided_by_the_generation_limit_not_by_the_sequence_length()
    {
        using var scope = NewDisposeScope();
        // sequence sums 1 + 2 = 3 and 4; L_max = 4, N = 2: (3/4 + 4/4) / 2 = 0.875
        T.Close(0.875, LossAggregation.Aggregate(T.D(Loss, 2, 3), T.D(Mask, 2, 3), DrGrpo.AggregationName, maxResponseTokens: 4).ToDouble());
        // every unmasked token gets the same gradient 1/(N·L_max) = 1/8, the long sequence's and the short one's alike
        var leaf = T.Leaf(Loss, 2, 3);
        LossAggregation.Aggregate(leaf, T.D(Mask, 2, 3), DrGrpo.AggregationName, maxResponseTokens: 4).backward();
        T.Close([0.125, 0.125, 0, 0.125, 0, 0], leaf.grad!);
    }

    [Fact]
    public void Micro_batches_with_the_mini_batch_totals_sum_to_the_mini_batch_loss()
    {
        using var scope = NewDisposeScope();
        var totals = new MiniBatchTotals(Tokens: 3, Sequences: 2, Prompts: 1);
        var whole = LossAggregation.Aggregate(T.D(Loss, 2, 3), T.D(Mask, 2, 3), DrGrpo.AggregationName, maxResponseTokens: 4).ToDouble();
        var first = LossAggregation.Aggregate(T.D(Loss[..3], 1, 3), T.D(Mask[..3], 1, 3), DrGrpo.AggregationName, totals, 4).ToDouble();
        var second = LossAggregation.Aggregate(T.D(Loss[3..], 1, 3), T.D(Mask[3..], 1, 3), DrGrpo.AggregationName, totals, 4).ToDouble();
        T.Close(whole, first + second);
    }

    [Fact]
    public void Without_the_generation_limit_or_with_a_longer_response_it_refuses()
    {
        using var scope = NewDisposeScope();
        var missing = Assert.Throws<ArgumentOutOfRangeException>(() => LossAggregation.Aggregate(T.D(Loss, 2, 3), T.D(Mask, 2, 3), DrGrpo.AggregationName));
        Assert.Contains("L_max", missing.Message);
        var longer = Assert.Throws<ArgumentException>(() => LossAggregation.Aggregate(T.D(Loss, 2, 3), T.D(Mask, 2, 3), DrGrpo.AggregationName, maxResponseTokens: 2));
        Assert.Contains("more than L_max = 2", longer.Message);
    }

    [Fact]
    public void The_arm_centres_advantages_without_std_and_aggregates_by_the_generation_limit()
    {
        var config = ArmPresets.Get(DrGrpo.Name).Resolve([new("stdNormalize", true), new("maxNewTokens", 4)], []);
        Assert.Equal((false, DrGrpo.AggregationName, 0.0, 0.0), (config.StdNormalize, config.LossAggregation, config.LambdaD, config.LambdaL));
        var behaviour = ArmBehaviour.From(config);
        // A_i = r_i − mean(r): [1, 0, 0, 1] → ±0.5 (GRPO's std scaling would give ±0.866)
        T.Close([0.5, -0.5, -0.5, 0.5], GroupScorer.ScoreRewardsOnly([1, 0, 0, 1], behaviour.Scoring).Advantages);

        // two rollouts at ρ = 1 (logits 0, π_old = ½): lengths 2 and 1, A = +0.5 and −0.5, L_max = 4
        // L_pg = (1/N) Σ_i Σ_t −A_i / L_max = ((−0.5 − 0.5) + 0.5) / (2 · 4) = −0.0625
        using var scope = NewDisposeScope();
        var batch = new PolicyLossBatch(
            Tokens: T.L([0, 0, 0, 0], 2, 2),
            OldLogProbs: T.D([Math.Log(0.5), Math.Log(0.5), Math.Log(0.5), Math.Log(0.5)], 2, 2),
            Mask: T.D([1, 1, 1, 0], 2, 2),
            Advantages: T.D([0.5, -0.5], 2),
            CouplingWeights: T.D([0.0, 0.0], 2),
            GroupIndex: T.L([0, 0], 2));
        var result = DsdrLoss.Compute(zeros(2, 2, 2, ScalarType.Float64), batch, behaviour.Loss);
        T.Close(-0.0625, result.Components.PolicyLoss);
        T.Close(-0.0625, result.Components.Total);
    }
}
