using Dsdr.Core.Sweeps;
using Dsdr.Learning.Losses;
using Dsdr.Learning.Training;
using Xunit;

namespace Dsdr.Learning.Tests.Training;

public class ArmBehaviourTests
{
    private static ArmBehaviour Of(string arm) => ArmBehaviour.For(arm, TrainingConfig.Default);

    [Fact]
    public void Grpo_is_symmetric_clip_without_diversity_terms_or_dapo_tricks()
    {
        var grpo = ArmBehaviour.From(ArmPresets.Get(ArmPresets.Grpo).Resolve([], []));
        Assert.Equal((0.2, 0.2), (grpo.Loss.ClipLow, grpo.Loss.ClipHigh));
        Assert.Equal(0.0, grpo.Scoring.LambdaD);
        Assert.Equal(0.0, grpo.Loss.LambdaLocal);
        Assert.True(grpo.Scoring.StdNormalize);
        Assert.False(grpo.DynamicSampling);
        Assert.Null(grpo.Overlong);
    }

    [Fact]
    public void Dapo_is_clip_higher_token_mean_with_dynamic_sampling_and_overlong_penalty()
    {
        var dapo = ArmBehaviour.From(ArmPresets.Get(ArmPresets.Dapo).Resolve([], []));
        Assert.Equal((0.2, 0.28), (dapo.Loss.ClipLow, dapo.Loss.ClipHigh));
        Assert.Equal(Core.Sweeps.LossAggregation.TokenMean, dapo.Loss.Aggregation);
        Assert.True(dapo.DynamicSampling);
        Assert.Equal(4, dapo.MaxGenerationRounds);
        Assert.Equal(new OverlongPenalty(24, 6, 1.0), dapo.Overlong);
        Assert.Equal(0.0, dapo.Scoring.LambdaD);
        Assert.Equal(0.0, dapo.Loss.LambdaLocal);
    }

    [Fact]
    public void Dsdr_and_its_ablations_set_lambda_d_lambda_l_and_tau_as_the_spec_says()
    {
        var dsdr = Of(ArmPresets.Dsdr);
        Assert.Equal((0.1, 5.0, 0.01), (dsdr.Scoring.LambdaD, dsdr.Scoring.Tau, dsdr.Loss.LambdaLocal));
        Assert.False(dsdr.DynamicSampling);
        var noGd = Of(ArmPresets.DsdrNoGd);
        Assert.Equal((0.0, 0.0, 0.01), (noGd.Scoring.LambdaD, noGd.Scoring.Tau, noGd.Loss.LambdaLocal));
        var noGc = Of(ArmPresets.DsdrNoGc);
        Assert.Equal((0.1, 0.0), (noGc.Scoring.LambdaD, noGc.Loss.LambdaLocal));
        var uniform = Of(ArmPresets.DsdrUniform);
        Assert.Equal((0.1, 0.0, 0.01), (uniform.Scoring.LambdaD, uniform.Scoring.Tau, uniform.Loss.LambdaLocal));
    }

    [Fact]
    public void Core_part_names_and_the_kl_estimator_reach_the_loss()
    {
        var parts = ArmBehaviour.From(TrainingConfig.Default with { LossAggregation = Core.Sweeps.LossAggregation.SeqMeanTokenSum, MaxNewTokens = 40 }).Loss;
        Assert.Equal((Core.Sweeps.LossAggregation.SeqMeanTokenSum, "ppo-clip", "local-positive", 40), (parts.Aggregation, parts.PolicyLoss, parts.EntropyTerm, parts.MaxResponseTokens));
        var config = TrainingConfig.Default with { KlBeta = 0.05, KlEstimator = Core.Sweeps.KlEstimator.K2, DualClip = 3.0 };
        var behaviour = ArmBehaviour.From(config);
        Assert.Equal((0.05, Core.Sweeps.KlEstimator.K2, (double?)3.0), (behaviour.Loss.KlBeta, behaviour.Loss.KlEstimator, behaviour.Loss.DualClip));
    }

    [Theory]
    // L_max = 24, L_buf = 6: free up to 18, then −(L − 18)/6, −1 at 24
    [InlineData(1, 0.0)]
    [InlineData(18, 0.0)]
    [InlineData(19, -1.0 / 6)]
    [InlineData(21, -0.5)]
    [InlineData(24, -1.0)]
    [InlineData(30, -1.0)]
    public void Overlong_penalty_is_zero_then_linear_to_minus_factor(int length, double expected) =>
        Assert.Equal(expected, new OverlongPenalty(24, 6, 1.0).Of(length), 12);
}
