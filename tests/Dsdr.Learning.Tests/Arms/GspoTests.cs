using Dsdr.Core.Arms;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Losses;
using Dsdr.Learning.Tests.Losses;
using Dsdr.Learning.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using LossAggregation = Dsdr.Learning.Losses.LossAggregation;

namespace Dsdr.Learning.Tests.Arms;

public class GspoTests
{
    // log π_θ − log π_old per token: sequence 0 = [0.002, −0.001] (both tokens), sequence 1 = [0.01, 5 (padding)]
    private static readonly double[] LogRatios = [0.002, -0.001, 0.01, 5.0];
    private static readonly double[] Mask = [1, 1, 1, 0];
    private static readonly double[] Logp = [-0.7, -1.2, -0.4, -2.0];
    private static double[] OldLogp => Logp.Select((l, i) => l - LogRatios[i]).ToArray();

    private static readonly PolicyLossConfig Config = ArmBehaviour.From(ArmPresets.Get(Gspo.Name).Resolve([], [])).Loss;

    [Fact]
    public void The_sequence_ratio_is_the_exponential_of_the_mean_token_log_ratio()
    {
        using var scope = NewDisposeScope();
        // s_0 = exp((0.002 − 0.001)/2), s_1 = exp(0.01 / 1): padding does not count
        T.Close([Math.Exp(0.0005), Math.Exp(0.01)], GspoLoss.SequenceRatio(T.D(Logp, 2, 2), T.D(OldLogp, 2, 2), T.D(Mask, 2, 2)));
        // the geometric mean of the token ratios: (ρ_1 · ρ_2)^{1/2}
        T.Close(Math.Sqrt(Math.Exp(0.002) * Math.Exp(-0.001)), GspoLoss.SequenceRatio(T.D(Logp, 2, 2), T.D(OldLogp, 2, 2), T.D(Mask, 2, 2)).narrow(0, 0, 1).item<double>());
    }

    [Fact]
    public void Whole_sequences_are_clipped_in_the_small_range_and_the_gradient_reaches_tokens_through_s()
    {
        using var scope = NewDisposeScope();
        Assert.Equal((3e-4, 4e-4), (Config.ClipLow, Config.ClipHigh));
        var logp = T.Leaf(Logp, 2, 2);
        var advantages = T.D([1.0, -1.0], 2);
        var surrogate = LossKernels.PolicyLosses.Get(Gspo.Name).PerToken(logp, T.D(OldLogp, 2, 2), advantages, T.D(Mask, 2, 2), Config);

        // sequence 0: A = +1, s = e^0.0005 = 1.000500 > 1 + 4e-4: clipped, L_0 = −1.0004 on both tokens
        // sequence 1: A = −1, s = e^0.01 = 1.010050: −min(−s, −clip(s)) = s (the unclipped, pessimistic side)
        T.Close([-1.0004, -1.0004, Math.Exp(0.01), Math.Exp(0.01)], surrogate.PerTokenLoss);
        // the clip acted on sequence 0's two tokens: 2 of the 3 unmasked tokens
        T.Close(2.0 / 3, surrogate.ClipFractions.High);
        T.Close(0.0, surrogate.ClipFractions.Low);

        // seq-mean-token-mean: (L_0 + L_1) / 2
        var loss = LossAggregation.Aggregate(surrogate.PerTokenLoss, T.D(Mask, 2, 2), Config.Aggregation);
        T.Close((-1.0004 + Math.Exp(0.01)) / 2, loss.ToDouble());
        // ∂/∂log π_θ: sequence 0 clipped → 0; sequence 1: −A·s·(1/|y_1|)/N = s/2 on its one token, 0 on padding
        loss.backward();
        T.Close([0, 0, Math.Exp(0.01) / 2, 0], logp.grad!);
    }

    [Fact]
    public void Token_level_advantages_are_refused()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() =>
            new GspoLoss().PerToken(T.D(Logp, 2, 2), T.D(OldLogp, 2, 2), T.D([1, 1, -1, -1], 2, 2), T.D(Mask, 2, 2), Config));
        Assert.Contains("one advantage per sequence", error.Message);
    }

    [Fact]
    public void The_arm_is_gspo_with_group_normalised_advantages_and_a_sequence_mean()
    {
        var config = ArmPresets.Get(Gspo.Name).Resolve([new("policyLoss", "ppo-clip"), new("clipHigh", 5e-4)], []);
        Assert.Equal((Gspo.Name, Dsdr.Core.Sweeps.LossAggregation.SeqMeanTokenMean, "grpo", true), (config.PolicyLoss, config.LossAggregation, config.AdvantageEstimator, config.StdNormalize));
        Assert.Equal((3e-4, 5e-4), (config.ClipLow, config.ClipHigh)); // the clip range is a default a sweep may change
        Assert.Equal((0.0, 0.0), (config.LambdaD, config.LambdaL));

        // through DsdrLoss: logits 0 (log π_θ = ln ½) and π_old set so the log-ratios are the ones above
        using var scope = NewDisposeScope();
        var half = Math.Log(0.5);
        var batch = new PolicyLossBatch(T.L([0, 0, 0, 0], 2, 2), T.D(LogRatios.Select(r => half - r).ToArray(), 2, 2), T.D(Mask, 2, 2),
            T.D([1.0, -1.0], 2), T.D([0.0, 0.0], 2), T.L([0, 0], 2));
        var result = DsdrLoss.Compute(zeros(2, 2, 2, ScalarType.Float64), batch, Config);
        T.Close((-1.0004 + Math.Exp(0.01)) / 2, result.Components.PolicyLoss);
    }
}
