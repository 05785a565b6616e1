using Dsdr.Core.Sweeps;
using Dsdr.Learning.Losses;
using AggregationMode = Dsdr.Core.Sweeps.LossAggregation;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests.Losses;

public class KlPenaltyTests
{
    // token 0: π_θ = 0.5, π_ref = 0.25;  token 1: π_θ = 0.25, π_ref = 0.5
    private static readonly double[] Logp = [Math.Log(0.5), Math.Log(0.25)];
    private static readonly double[] LogpRef = [Math.Log(0.25), Math.Log(0.5)];
    private const double Ln2 = 0.6931471805599453;

    [Theory]
    [InlineData(KlEstimator.K1, Ln2, -Ln2)]                               // log π_θ − log π_ref
    [InlineData(KlEstimator.K2, 0.2402265069591007, 0.2402265069591007)]  // ½ ln²2
    [InlineData(KlEstimator.K3, 0.1931471805599454, 0.3068528194400546)]  // ½ + ln 2 − 1;  2 − ln 2 − 1
    public void EstimatorsGiveHandComputedValues(KlEstimator estimator, double first, double second)
    {
        using var scope = NewDisposeScope();
        T.Close([first, second], KlPenalty.PerToken(T.D(Logp, 1, 2), T.D(LogpRef, 1, 2), estimator));
    }

    [Theory]
    [InlineData(KlEstimator.K1)]
    [InlineData(KlEstimator.K2)]
    [InlineData(KlEstimator.K3)]
    public void IdenticalPoliciesHaveZeroKlAndZeroGradient(KlEstimator estimator)
    {
        using var scope = NewDisposeScope();
        var logp = T.Leaf(Logp, 1, 2);
        var kl = KlPenalty.Loss(logp, T.D(Logp, 1, 2), ones(1, 2, ScalarType.Float64), estimator, AggregationMode.TokenMean);
        T.Close(0.0, kl.ToDouble());
        kl.backward();
        // k1's gradient is 1/n per token (unbiased but not zero at the optimum); k2 and k3 vanish there
        T.Close(estimator == KlEstimator.K1 ? [0.5, 0.5] : [0.0, 0.0], logp.grad!);
    }

    [Fact]
    public void KlIsAggregatedWithTheLossMode()
    {
        using var scope = NewDisposeScope();
        var logp = T.D([Math.Log(0.5), Math.Log(0.25), 0], 1, 3);
        var logpRef = T.D([Math.Log(0.25), Math.Log(0.5), -5], 1, 3);
        var mask = T.D([1, 1, 0], 1, 3);
        T.Close((0.1931471805599454 + 0.3068528194400546) / 2,
            KlPenalty.Loss(logp, logpRef, mask, KlEstimator.K3, AggregationMode.TokenMean).ToDouble());
        T.Close(0.1931471805599454 + 0.3068528194400546,
            KlPenalty.Loss(logp, logpRef, mask, KlEstimator.K3, AggregationMode.SeqMeanTokenSum).ToDouble());
    }
}
