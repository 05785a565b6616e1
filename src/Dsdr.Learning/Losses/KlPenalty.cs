using Dsdr.Core.Sweeps;
using Dsdr.Learning.Compute;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Losses;

/// <summary>
/// The KL penalty to a frozen reference policy. Only called when β &gt; 0: with β = 0 the caller skips it and
/// loads no reference model.
/// </summary>
public static class KlPenalty
{
    public static Tensor PerToken(Tensor logp, Tensor logpRef, KlEstimator estimator)
    {
        LossChecks.RequireSameShape(logpRef, nameof(logpRef), logp, nameof(logp));
        return estimator switch
        {
            KlEstimator.K1 => K1(logp, logpRef),
            KlEstimator.K2 => K2(logp, logpRef),
            KlEstimator.K3 => K3(logp, logpRef),
            _ => throw new ArgumentOutOfRangeException(nameof(estimator), estimator, "Unknown KL estimator; use K1, K2 or K3."),
        };
    }

    /// <summary>KL penalty aggregated with the same mode as the policy loss.</summary>
    public static Tensor Loss(Tensor logp, Tensor logpRef, Tensor mask, KlEstimator estimator, string mode, MiniBatchTotals? totals = null, int maxResponseTokens = 0)
    {
        using var scope = NewDisposeScope();
        return LossAggregation.Aggregate(PerToken(logp, logpRef, estimator), mask, mode, totals, maxResponseTokens).MoveToOuterDisposeScope();
    }

    // k1 = log π_θ − log π_ref
    public static Tensor K1(Tensor logp, Tensor logpRef) => logp - logpRef;

    // k2 = ½ (log π_θ − log π_ref)²
    public static Tensor K2(Tensor logp, Tensor logpRef)
    {
        var difference = logp - logpRef;
        return difference.mul(difference).mul(Scalars.Half);
    }

    // k3 = exp(δ) − δ − 1,  δ = clamp(log π_ref − log π_θ, −20, 20)
    public static Tensor K3(Tensor logp, Tensor logpRef)
    {
        var delta = (logpRef - logp).clamp(PolicyGradientLoss.LowestLogRatio, PolicyGradientLoss.HighestLogRatio);
        return (delta.exp() - delta).sub(Scalars.One);
    }
}
