using Dsdr.Learning.Compute;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Losses;

/// <summary>How a per-token loss [N, T] becomes one scalar (spec §6, "loss aggregation"): the registered aggregation of that name.</summary>
public static class LossAggregation
{
    /// <summary>
    /// Aggregates a per-token loss over the response mask with the aggregation named <paramref name="mode"/>.
    /// <paramref name="totals"/>: the whole mini-batch's counts, so that micro-batches of one mini-batch, each normalised
    /// by them, sum to the mini-batch's loss; null normalises by this batch (max(Σ m, 1) tokens, N sequences including
    /// fully masked ones). <paramref name="maxResponseTokens"/>: L_max, for aggregations that divide by it. A sequence with
    /// no unmasked token contributes 0 in every built-in mode.
    /// </summary>
    public static Tensor Aggregate(Tensor perToken, Tensor mask, string mode, MiniBatchTotals? totals = null, int maxResponseTokens = 0)
    {
        LossChecks.RequireRank(perToken, nameof(perToken), 2, "[N sequences, T response tokens]");
        LossChecks.RequireSameShape(mask, nameof(mask), perToken, nameof(perToken));
        if (perToken.shape[0] < 1)
            throw new ArgumentException("perToken has no sequences (N = 0); aggregate a mini-batch with at least one sequence.", nameof(perToken));
        if (totals is not null && !(totals.Tokens > 0 && double.IsFinite(totals.Tokens) && totals.Sequences > 0 && double.IsFinite(totals.Sequences)))
            throw new ArgumentOutOfRangeException(nameof(totals), totals, "totals must hold positive finite counts (tokens and sequences of the whole mini-batch).");
        if (!LossKernels.Aggregations.TryGet(mode, out var aggregation))
            throw new ArgumentOutOfRangeException(nameof(mode), mode, LossKernels.Aggregations.UnknownReason(mode));
        return aggregation.Aggregate(perToken, mask.to_type(perToken.dtype), totals, maxResponseTokens);
    }

    // L = Σ_{n,t} m_{n,t} L_{n,t} / Σ_{n,t} m_{n,t}
    internal static Tensor TokenMean(Tensor loss, Tensor m, double? denominator) =>
        denominator is { } d ? DivideBy((loss * m).sum(), d) : (loss * m).sum().div(m.sum().clamp_min(Scalars.One));

    // L = (1/N) Σ_n [ Σ_t m_{n,t} L_{n,t} / Σ_t m_{n,t} ]
    internal static Tensor SeqMeanTokenMean(Tensor loss, Tensor m, double? denominator) =>
        DivideBy((loss * m).sum(1).div(m.sum(1).clamp_min(Scalars.One)).sum(), denominator ?? loss.shape[0]);

    // L = (1/N) Σ_n Σ_t m_{n,t} L_{n,t}
    internal static Tensor SeqMeanTokenSum(Tensor loss, Tensor m, double? denominator) =>
        DivideBy((loss * m).sum(), denominator ?? loss.shape[0]);

    internal static Tensor DivideBy(Tensor value, double divisor)
    {
        using var by = divisor.ToScalar();
        return value.div(by);
    }

    // masked mean of a per-token statistic, Σ m·x / max(Σ m, 1), as a number (for logging)
    internal static double MaskedMeanValue(Tensor values, Tensor mask)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var m = mask.to_type(ScalarType.Float64);
        return Scalars.ValueOf((values.detach().to_type(ScalarType.Float64) * m).sum().div(m.sum().clamp_min(Scalars.One)));
    }
}
