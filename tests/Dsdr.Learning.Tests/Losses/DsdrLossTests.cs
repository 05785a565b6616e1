using Dsdr.Learning.Losses;
using KlEstimator = Dsdr.Core.Sweeps.KlEstimator;
using AggregationMode = Dsdr.Core.Sweeps.LossAggregation;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests.Losses;

public class DsdrLossTests
{
    // One rollout, one token, V = 2 with logits [0, 0]: π_θ(token 0) = ½ = π_old, so ρ = 1.
    private static PolicyLossBatch SingleToken(Tensor? refLogProbs = null) => new(
        Tokens: T.L([0], 1, 1),
        OldLogProbs: T.D([Math.Log(0.5)], 1, 1),
        Mask: T.D([1], 1, 1),
        Advantages: T.D([1.0], 1),
        CouplingWeights: T.D([1.0], 1),
        GroupIndex: T.L([0], 1),
        RefLogProbs: refLogProbs);

    [Fact]
    public void TotalIsPolicyLossMinusLambdaTimesLocalTermOnAHandComputedToken()
    {
        using var scope = NewDisposeScope();
        var result = DsdrLoss.Compute(T.D([0, 0], 1, 1, 2), SingleToken(), new PolicyLossConfig(LambdaLocal: 0.1));
        // L_pg = −ρA = −1;  J_local = −ρ·ln ½ = ln 2;  L = −1 − 0.1·ln 2
        T.Close(-1.0, result.Components.PolicyLoss);
        T.Close(Math.Log(2), result.Components.LocalTerm);
        T.Close(-1.0 - 0.1 * Math.Log(2), result.Components.Total);
        T.Close(-1.0 - 0.1 * Math.Log(2), result.Loss.ToDouble());
        Assert.Null(result.Components.Kl);
        T.Close(Math.Log(2), result.Components.Entropy);
        Assert.Equal(new ClipFractions(0, 0, 0), result.Components.ClipFractions);
        T.Close(0.0, result.Components.ApproxKlToOld);
    }

    [Fact]
    public void KlIsAddedWithBetaWhenOn()
    {
        using var scope = NewDisposeScope();
        var config = new PolicyLossConfig(LambdaLocal: 0.1, KlBeta: 0.5, KlEstimator: KlEstimator.K1);
        var result = DsdrLoss.Compute(T.D([0, 0], 1, 1, 2), SingleToken(T.D([Math.Log(0.25)], 1, 1)), config);
        // KL_k1 = ln ½ − ln ¼ = ln 2
        T.Close(Math.Log(2), result.Components.Kl!.Value);
        T.Close(-1.0 - 0.1 * Math.Log(2) + 0.5 * Math.Log(2), result.Components.Total);
    }

    [Fact]
    public void KlWithoutReferenceLogProbsIsAClearError()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() =>
            DsdrLoss.Compute(T.D([0, 0], 1, 1, 2), SingleToken(), new PolicyLossConfig(KlBeta: 0.1)));
        Assert.Contains("RefLogProbs", error.Message);
    }

    [Fact]
    public void NegativeBetaIsRejected()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            DsdrLoss.Compute(T.D([0, 0], 1, 1, 2), SingleToken(), new PolicyLossConfig(KlBeta: -0.1)));
        Assert.Equal("KlBeta", error.ParamName);
    }

    [Fact]
    public void WithLambdaZeroTheLocalTermIsLoggedButHasNoGradient()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch(ScalarType.Float64, seed: 3);
        var logits = batch.Logits.clone().requires_grad_(true);
        var result = DsdrLoss.Compute(logits, batch.Batch, new PolicyLossConfig(LambdaLocal: 0));
        result.Loss.backward();

        var reference = batch.Logits.clone().requires_grad_(true);
        var logp = TokenLogProbs.SequenceLogProbs(reference, batch.Batch.Tokens);
        var surrogate = PolicyGradientLoss.ClippedSurrogate(logp, batch.Batch.OldLogProbs, batch.Batch.Advantages, batch.Batch.Mask, 0.2, 0.28);
        LossAggregation.Aggregate(surrogate.PerTokenLoss, batch.Batch.Mask, AggregationMode.TokenMean).backward();

        Assert.True(result.Components.LocalTerm > 0);
        T.Close(result.Components.PolicyLoss, result.Components.Total);
        T.Close(T.Values(reference.grad!), T.Values(logits.grad!));
    }

    [Theory]
    [InlineData(AggregationMode.TokenMean)]
    [InlineData(AggregationMode.SeqMeanTokenMean)]
    [InlineData(AggregationMode.SeqMeanTokenSum)]
    public void MicroBatchesWithMiniBatchTotalsSumToTheMiniBatchLossAndGradient(string mode)
    {
        using var scope = NewDisposeScope();
        var data = RandomBatch(ScalarType.Float64, seed: 5);
        var config = new PolicyLossConfig(DualClip: 2.0, Aggregation: mode, LambdaLocal: 0.3, KlBeta: 0.1);
        var whole = data.Logits.clone().requires_grad_(true);
        var full = DsdrLoss.Compute(whole, data.Batch, config);
        full.Loss.backward();

        var totals = new MiniBatchTotals(Tokens: data.Batch.Mask.sum().ToDouble(), Sequences: 4, Prompts: 2);
        var parts = data.Logits.clone().requires_grad_(true);
        var sum = 0.0;
        foreach (var rows in new[] { (0L, 2L), (2L, 2L) }) // one prompt per micro-batch
        {
            var micro = Slice(data.Batch, rows.Item1, rows.Item2);
            var loss = DsdrLoss.Compute(parts.narrow(0, rows.Item1, rows.Item2), micro, config, totals).Loss;
            loss.backward();
            sum += loss.ToDouble();
        }
        T.Close(full.Components.Total, sum);
        T.Close(T.Values(whole.grad!), T.Values(parts.grad!));
    }

    [Fact]
    public void Float32AgreesWithFloat64()
    {
        using var scope = NewDisposeScope();
        var config = new PolicyLossConfig(DualClip: 3.0, LambdaLocal: 0.5, KlBeta: 0.2);
        var d = RandomBatch(ScalarType.Float64, seed: 9);
        var f = RandomBatch(ScalarType.Float32, seed: 9);
        var precise = DsdrLoss.Compute(d.Logits, d.Batch, config).Components;
        var single = DsdrLoss.Compute(f.Logits, f.Batch, config).Components;
        T.Close(precise.Total, single.Total, 1e-5);
        T.Close(precise.LocalTerm, single.LocalTerm, 1e-5);
        T.Close(precise.Entropy, single.Entropy, 1e-5);
    }

    private sealed record Data(Tensor Logits, PolicyLossBatch Batch);

    // 2 prompts × 2 rollouts, T = 4, V = 5, ragged lengths, old/ref policies perturbed from the current one.
    private static Data RandomBatch(ScalarType dtype, int seed)
    {
        var g = new Random(seed);
        double[] Noise(int count, double scale) => Enumerable.Range(0, count).Select(_ => (g.NextDouble() * 2 - 1) * scale).ToArray();
        var logits = T.D(Noise(80, 2), 4, 4, 5);
        var tokens = T.L(Enumerable.Range(0, 16).Select(_ => (long)g.Next(5)).ToArray(), 4, 4);
        var old = TokenLogProbs.SequenceLogProbs(logits + T.D(Noise(80, 0.8), 4, 4, 5), tokens);
        var reference = TokenLogProbs.SequenceLogProbs(logits + T.D(Noise(80, 0.5), 4, 4, 5), tokens);
        var mask = T.D([1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0], 4, 4);
        var batch = new PolicyLossBatch(
            Tokens: tokens,
            OldLogProbs: old.to_type(dtype),
            Mask: mask.to_type(dtype),
            Advantages: T.D([0.87, -0.87, 1.2, -0.4], 4).to_type(dtype),
            CouplingWeights: T.D([1.0, 0.0, 0.6, 0.4], 4).to_type(dtype),
            GroupIndex: T.L([0, 0, 1, 1], 4),
            RefLogProbs: reference.to_type(dtype));
        return new Data(logits.to_type(dtype), batch);
    }

    private static PolicyLossBatch Slice(PolicyLossBatch b, long start, long length) => new(
        b.Tokens.narrow(0, start, length), b.OldLogProbs.narrow(0, start, length), b.Mask.narrow(0, start, length),
        b.Advantages.narrow(0, start, length), b.CouplingWeights.narrow(0, start, length), b.GroupIndex.narrow(0, start, length),
        b.RefLogProbs?.narrow(0, start, length));
}
