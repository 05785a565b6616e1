using Dsdr.Learning.Compute;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Losses;

/// <summary>Share of unmasked tokens where each clip acted (token-mean over the mask, in [0, 1]).</summary>
/// <param name="Low">A &lt; 0 and ρ &lt; 1 − ε_low: the lower clip bounded the loss.</param>
/// <param name="High">A &gt; 0 and ρ &gt; 1 + ε_high: the upper clip bounded the loss.</param>
/// <param name="Dual">A &lt; 0 and ρ &gt; c: the dual clip bounded the loss (0 when dual-clip is off).</param>
public sealed record ClipFractions(double Low, double High, double Dual);

/// <summary>The clipped surrogate's per-token loss [N, T] (with gradient) and its clip statistics.</summary>
public sealed record SurrogateResult(Tensor PerTokenLoss, ClipFractions ClipFractions);

/// <summary>The PPO/GRPO clipped surrogate, each piece a named function.</summary>
public static class PolicyGradientLoss
{
    /// <summary>Bound on |log ρ| before exponentiation (as verl), so exp cannot overflow; far outside any clip range.</summary>
    public const double MaxLogRatio = 20.0;

    internal static readonly Scalar LowestLogRatio = Scalars.Constant(-MaxLogRatio), HighestLogRatio = Scalars.Constant(MaxLogRatio);

    // ρ = exp(clamp(log π_θ − log π_old, −20, 20))
    public static Tensor Ratio(Tensor logp, Tensor logpOld)
    {
        LossChecks.RequireSameShape(logpOld, nameof(logpOld), logp, nameof(logp));
        return (logp - logpOld).clamp(LowestLogRatio, HighestLogRatio).exp();
    }

    /// <summary>
    /// Per-token clipped surrogate loss. <paramref name="advantages"/> is [N] (one A per sequence, GRPO) or [N, T].
    /// <paramref name="dualClip"/> c &gt; 1 bounds the loss of negative-advantage tokens by −c·A (verl's clip_ratio_c).
    /// The mask is only used for the clip statistics; aggregate the loss with <see cref="LossAggregation.Aggregate"/>.
    /// </summary>
    // L_t = −min(ρ·A, clip(ρ, 1−ε_low, 1+ε_high)·A);  with dual-clip, for A < 0: L_t = min(L_t, −c·A)
    public static SurrogateResult ClippedSurrogate(
        Tensor logp, Tensor logpOld, Tensor advantages, Tensor mask,
        double clipLow, double clipHigh, double? dualClip = null)
    {
        LossChecks.RequireRank(logp, nameof(logp), 2, "[N sequences, T response tokens]");
        LossChecks.RequireSameShape(mask, nameof(mask), logp, nameof(logp));
        CheckClipRange(clipLow, clipHigh, dualClip);
        using var scope = NewDisposeScope();
        var a = LossChecks.AsPerToken(advantages, nameof(advantages), logp).to_type(logp.dtype);
        var result = Clipped(Ratio(logp, logpOld), a, mask, clipLow, clipHigh, dualClip);
        return result with { PerTokenLoss = result.PerTokenLoss.MoveToOuterDisposeScope() };
    }

    /// <summary>
    /// The clipped objective for any importance ratio broadcastable against [N, T] (per token, or one per sequence as
    /// [N, 1]) and advantages <paramref name="a"/> of the ratio's dtype; the loss comes back [N, T]-broadcast. Clip
    /// statistics are token shares over the mask.
    /// </summary>
    // L = −min(ρ·A, clip(ρ, 1−ε_low, 1+ε_high)·A);  with dual-clip, for A < 0: L = min(L, −c·A)
    public static SurrogateResult Clipped(Tensor ratio, Tensor a, Tensor mask, double clipLow, double clipHigh, double? dualClip)
    {
        using var scope = NewDisposeScope();
        using var lowerBound = (1.0 - clipLow).ToScalar();
        using var upperBound = (1.0 + clipHigh).ToScalar();
        using var dualBound = (dualClip ?? 0.0).ToScalar();
        var unclipped = -a * ratio;
        var clipped = -a * ratio.clamp(lowerBound, upperBound);
        var loss = maximum(unclipped, clipped);
        if (dualClip is not null)
            loss = where(a.lt(Scalars.Zero), minimum(loss, (-a).mul(dualBound)), loss);

        ClipFractions fractions;
        using (no_grad())
        {
            var r = ratio.detach();
            var negative = a.lt(Scalars.Zero);
            var low = MaskedShare(negative.logical_and(r.lt(lowerBound)), mask);
            var high = MaskedShare(a.gt(Scalars.Zero).logical_and(r.gt(upperBound)), mask);
            var dual = dualClip is not null ? MaskedShare(negative.logical_and(r.gt(dualBound)), mask) : 0.0;
            fractions = new ClipFractions(low, high, dual);
        }
        return new SurrogateResult(loss.MoveToOuterDisposeScope(), fractions);
    }

    // approx KL(π_old ‖ π_θ) ≈ mean_t (log π_old − log π_θ)   (verl's ppo_kl, logged)
    public static double ApproxKlToOld(Tensor logp, Tensor logpOld, Tensor mask)
    {
        LossChecks.RequireSameShape(logpOld, nameof(logpOld), logp, nameof(logp));
        using var scope = NewDisposeScope();
        return LossAggregation.MaskedMeanValue(logpOld - logp, mask);
    }

    private static double MaskedShare(Tensor condition, Tensor mask) =>
        LossAggregation.MaskedMeanValue(condition.expand(mask.shape).to_type(ScalarType.Float64), mask);

    internal static void CheckClipRange(double clipLow, double clipHigh, double? dualClip)
    {
        if (!(clipLow >= 0 && clipLow < 1))
            throw new ArgumentOutOfRangeException(nameof(clipLow), clipLow, "clipLow (ε_low) must be in [0, 1), e.g. 0.2.");
        if (!(clipHigh >= 0 && double.IsFinite(clipHigh)))
            throw new ArgumentOutOfRangeException(nameof(clipHigh), clipHigh, "clipHigh (ε_high) must be a finite number ≥ 0, e.g. 0.2 or 0.28.");
        if (dualClip is { } c && !(c > 1 && double.IsFinite(c)))
            throw new ArgumentOutOfRangeException(nameof(dualClip), c, "dualClip (c) must be a finite number > 1 (verl uses 3), or null to turn dual-clip off.");
    }
}
