using Dsdr.Learning.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests.Losses;

public class LocalEntropyTermTests
{
    // Two prompts × two rollouts, T = 3.
    // seq 0 (prompt 7, correct, w = 0.75): π = [0.5, 0.25, pad],  ρ = [1, 2, ·]
    // seq 1 (prompt 7, correct, w = 0.25): π = [0.8, 0.5, 0.1],   ρ = [0.5, 1, 1.5]
    // seq 2 (prompt 3, incorrect, w = 0):  π = [0.01, 0.01, 0.01], ρ = [3, 3, 3]
    // seq 3 (prompt 3, correct, w = 1):    π = [0.9, pad, pad],    ρ = [1.2, ·, ·]
    private static readonly double[] Logp =
        [Math.Log(0.5), Math.Log(0.25), Math.Log(0.3), Math.Log(0.8), Math.Log(0.5), Math.Log(0.1),
         Math.Log(0.01), Math.Log(0.01), Math.Log(0.01), Math.Log(0.9), Math.Log(0.2), Math.Log(0.7)];
    private static readonly double[] Ratios = [1, 2, 5, 0.5, 1, 1.5, 3, 3, 3, 1.2, 0.1, 7];
    private static readonly double[] Mask = [1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0];
    private static readonly double[] Weights = [0.75, 0.25, 0, 1];
    private static readonly long[] Groups = [7, 7, 3, 3];

    // ĥ_0 = −½(1·ln 0.5 + 2·ln 0.25) = 1.7328679513998633
    // ĥ_1 = −⅓(0.5·ln 0.8 + ln 0.5 + 1.5·ln 0.1) = 1.4195321985693727
    // ĥ_3 = −1.2·ln 0.9 = 0.12643261878939152
    // J = ½ (0.75·ĥ_0 + 0.25·ĥ_1 + 1·ĥ_3) = 0.8904833159908161
    private const double Expected = 0.8904833159908161;

    [Fact]
    public void GivenRatiosAndWeightsTheTermIsTheHandComputedValue()
    {
        using var scope = NewDisposeScope();
        var j = LocalEntropyTerm.Compute(T.D(Logp, 4, 3), T.D(T.OldFor(Logp, Ratios), 4, 3), T.D(Mask, 4, 3), T.D(Weights, 4), T.L(Groups, 4));
        T.Close(Expected, j.ToDouble());
        T.Close([1.7328679513998633, 1.4195321985693727, -3 * Math.Log(0.01), 0.12643261878939152],
            LocalEntropyTerm.SequenceEntropyEstimate(T.D(Logp, 4, 3), T.D(T.OldFor(Logp, Ratios), 4, 3), T.D(Mask, 4, 3)));
    }

    [Fact]
    public void AnExplicitPromptCountNormalisesTheSum()
    {
        using var scope = NewDisposeScope();
        var j = LocalEntropyTerm.Compute(T.D(Logp, 4, 3), T.D(T.OldFor(Logp, Ratios), 4, 3), T.D(Mask, 4, 3), T.D(Weights, 4), promptCount: 4);
        T.Close(Expected / 2, j.ToDouble());
    }

    [Fact]
    public void PaddingAndIncorrectRolloutsContributeNeitherValueNorGradient()
    {
        using var scope = NewDisposeScope();
        var changed = (double[])Logp.Clone();
        changed[2] = Math.Log(0.001); changed[10] = -3; changed[11] = -0.01; // padding tokens
        changed[6] = -9; changed[7] = -8; changed[8] = -0.5;                  // the incorrect rollout (w = 0)
        var logp = T.Leaf(changed, 4, 3);
        var j = LocalEntropyTerm.Compute(logp, T.D(T.OldFor(Logp, Ratios), 4, 3), T.D(Mask, 4, 3), T.D(Weights, 4), T.L(Groups, 4));
        T.Close(Expected, j.ToDouble());
        j.backward();
        var grad = T.Values(logp.grad!);
        foreach (var i in new[] { 2, 6, 7, 8, 10, 11 })
            Assert.Equal(0.0, grad[i]);
    }

    [Fact]
    public void GradientMatchesFiniteDifferencesOfTheFunctionAsWritten()
    {
        using var scope = NewDisposeScope();
        var old = T.D(T.OldFor(Logp, Ratios), 4, 3);
        var mask = T.D(Mask, 4, 3);
        var weights = T.D(Weights, 4);
        var groups = T.L(Groups, 4);
        var logp = T.Leaf(Logp, 4, 3);
        LocalEntropyTerm.Compute(logp, old, mask, weights, groups).backward();

        var numeric = T.FiniteDifferenceGradient(x => LocalEntropyTerm.Compute(x, old, mask, weights, groups).ToDouble(), Logp, [4, 3]);
        T.Close(numeric, T.Values(logp.grad!), 1e-8);
        // closed form with ρ carrying gradient: ∂J/∂log π_{i,t} = −(w_i / (B·T_i)) · ρ_{i,t} · (log π_{i,t} + 1)
        var tokens = new[] { 2.0, 3.0, 3.0, 1.0 };
        var closed = Logp.Select((l, k) => -Weights[k / 3] / (2 * tokens[k / 3]) * Ratios[k] * (l + 1) * Mask[k]).ToArray();
        T.Close(closed, T.Values(logp.grad!), 1e-12);
    }

    [Fact]
    public void GradientThroughLogitsMatchesFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        var generator = new Random(11);
        long[] shape = [4, 3, 5];
        var values = Enumerable.Range(0, 60).Select(_ => generator.NextDouble() * 3 - 1.5).ToArray();
        var tokens = T.L([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1], 4, 3);
        var old = T.D(Enumerable.Range(0, 12).Select(_ => Math.Log(0.05 + 0.3 * generator.NextDouble())).ToArray(), 4, 3);
        var mask = T.D(Mask, 4, 3);
        var weights = T.D(Weights, 4);
        var groups = T.L(Groups, 4);
        double J(Tensor logits) => LocalEntropyTerm.Compute(TokenLogProbs.SequenceLogProbs(logits, tokens), old, mask, weights, groups).ToDouble();

        var leaf = T.Leaf(values, shape);
        LocalEntropyTerm.Compute(TokenLogProbs.SequenceLogProbs(leaf, tokens), old, mask, weights, groups).backward();
        T.Close(T.FiniteDifferenceGradient(J, values, shape), T.Values(leaf.grad!), 1e-8);
    }

    [Fact]
    public void ItsExpectationUnderTheOldPolicyIsTheEntropyOfTheCurrentOneWithTheSameGradient()
    {
        // One state, V = 4. Enumerate every token a as a one-token rollout weighted by π_old(a):
        // Σ_a π_old(a)·[−ρ(a)·log π_θ(a)] = H(π_θ) exactly, and its gradient must be ∇H (a detached ρ would give 0).
        using var scope = NewDisposeScope();
        double[] z = [0.3, -1.2, 0.9, 0.1];
        double[] zOld = [0.0, -0.5, 0.4, 0.6];
        var piOld = T.Values(T.D(zOld, 4).softmax(0));
        var oldLogp = T.D(piOld.Select(x => Math.Log(x)).ToArray(), 4, 1);

        var logits = T.Leaf(z, 4);
        var perRollout = logits.unsqueeze(0).unsqueeze(0).expand(4, 1, 4);
        var logp = TokenLogProbs.SequenceLogProbs(perRollout, T.L([0, 1, 2, 3], 4, 1));
        var j = LocalEntropyTerm.Compute(logp, oldLogp, ones(4, 1, ScalarType.Float64), T.D(piOld, 4), promptCount: 1);
        j.backward();

        var direct = T.Leaf(z, 4);
        var p = direct.softmax(0);
        var entropy = -(p * p.log()).sum();
        entropy.backward();

        T.Close(entropy.ToDouble(), j.ToDouble());
        T.Close(T.Values(direct.grad!), T.Values(logits.grad!));
        Assert.True(T.Values(direct.grad!).Max(Math.Abs) > 0.05, "the entropy gradient at this point is not small");
    }

    [Fact]
    public void WeightsOfTheWrongLengthAreRejected()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() =>
            LocalEntropyTerm.Compute(T.D(Logp, 4, 3), T.D(Logp, 4, 3), T.D(Mask, 4, 3), T.D([1.0], 1), T.L(Groups, 4)));
        Assert.Contains("weights", error.Message);
    }
}
