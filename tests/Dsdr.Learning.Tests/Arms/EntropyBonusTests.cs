using Dsdr.Core.Arms;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Losses;
using Dsdr.Learning.Tests.Losses;
using Dsdr.Learning.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests.Arms;

public class EntropyBonusTests
{
    // two sequences, T = 2, V = 2: sequence 0's tokens are uniform (z = [0, 0]), sequence 1's first token has z = [0, ln 3]
    // (p = [¼, ¾]) and its second is padding
    private static readonly double[] Logits = [0, 0, 0, 0, 0, Math.Log(3), 7, -7];
    private static readonly double[] Mask = [1, 1, 1, 0];
    private static readonly double SkewedEntropy = Math.Log(4) - 0.75 * Math.Log(3); // −(¼ ln ¼ + ¾ ln ¾)

    private static PolicyLossBatch Batch() => new(
        Tokens: T.L([0, 0, 0, 0], 2, 2),
        OldLogProbs: T.D([Math.Log(0.5), Math.Log(0.5), Math.Log(0.25), 0], 2, 2), // ρ = 1 on every real token
        Mask: T.D(Mask, 2, 2),
        Advantages: T.D([0.5, -0.5], 2),
        CouplingWeights: T.D([0.0, 0.0], 2),
        GroupIndex: T.L([0, 0], 2));

    private static PolicyLossConfig Loss(double beta) =>
        ArmBehaviour.From(ArmPresets.Get(EntropyBonus.Name).Resolve([new("lambdaL", beta)], [])).Loss;

    [Fact]
    public void The_bonus_is_the_mean_token_entropy_and_the_loss_subtracts_beta_times_it()
    {
        using var scope = NewDisposeScope();
        var config = Loss(0.01);
        var result = DsdrLoss.Compute(T.D(Logits, 2, 2, 2), Batch(), config);
        // token-mean over the 3 response tokens: J = (ln 2 + ln 2 + H(¼, ¾)) / 3
        var j = (2 * Math.Log(2) + SkewedEntropy) / 3;
        T.Close(j, result.Components.LocalTerm);
        // L_pg at ρ = 1: token-mean of −A = (−0.5 − 0.5 + 0.5) / 3;  L = L_pg − β·J
        T.Close(-1.0 / 6, result.Components.PolicyLoss);
        T.Close(-1.0 / 6 - 0.01 * j, result.Components.Total);
        // the logged entropy is the same quantity
        T.Close(j, result.Components.Entropy, 1e-12);
    }

    [Fact]
    public void Its_gradient_is_the_entropy_gradient_on_real_tokens_only()
    {
        using var scope = NewDisposeScope();
        var logits = T.Leaf(Logits, 2, 2, 2);
        var batch = Batch();
        var config = Loss(0.01);
        var term = LossKernels.EntropyTerms.Get(EntropyBonus.TermName).Compute(new EntropyTermInputs(
            logits, T.D([Math.Log(0.5), Math.Log(0.5), Math.Log(0.25), 0], 2, 2), batch.Mask, batch, null, config));
        term.backward();
        // ∂H/∂z_v = −p_v (log p_v + H), divided by the 3 tokens of the token mean: 0 at a uniform token (the maximum),
        // ±0.2060/3 at p = [¼, ¾], 0 on padding
        var skewed = new[] { 0.25, 0.75 }.Select(p => -p * (Math.Log(p) + SkewedEntropy) / 3).ToArray();
        T.Close([0, 0, 0, 0, skewed[0], skewed[1], 0, 0], logits.grad!);
        Assert.True(skewed[0] > 0); // raising the rarer token's logit raises the entropy
    }

    [Fact]
    public void The_arm_is_grpo_with_the_token_entropy_term_weighted_by_lambda_l_and_needs_no_diversity()
    {
        var config = ArmPresets.Get(EntropyBonus.Name).Resolve([new("lambdaL", 0.003), new("tau", 5.0), new("lambdaD", 0.1)], []);
        Assert.Equal((EntropyBonus.TermName, 0.003, 0.0, 0.0), (config.EntropyTerm, config.LambdaL, config.LambdaD, config.Tau));
        Assert.Equal((0.2, 0.2, true), (config.ClipLow, config.ClipHigh, config.StdNormalize));
        var behaviour = ArmBehaviour.From(config);
        Assert.False(behaviour.UsesDiversity);
        // even with τ > 0 the token-entropy term ignores the coupling weights, so d never changes the update
        Assert.False(ArmBehaviour.From(config with { Tau = 5 }).UsesDiversity);
        Assert.True(ArmBehaviour.From(config with { Tau = 5, EntropyTerm = "local-positive" }).UsesDiversity);
    }
}
