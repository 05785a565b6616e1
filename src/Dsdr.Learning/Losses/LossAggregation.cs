using Dsdr.Learning.Compute;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Losses;

/// <summary>How a per-token loss [N, T] becomes one scalar (spec §6, "loss aggregation").</summary>
public enum AggregationMode
{
    /// <summary>Σ_{n,t} m·L / Σ_{n,t} m: every unmasked token of the mini-batch weighs the same (verl/DAPO default).</summary>
    TokenMean,
    /// <summary>(1/N) Σ_n (Σ_t m·L / Σ_t m): each sequence weighs the same whatever its length (the paper's Eq. 3).</summary>
    SeqMeanTokenMean,
    /// <summary>(1/N) Σ_n Σ_t m·L: token sums per sequence, mean over sequences (verl's seq-mean-token-sum); long answers weigh more.</summary>
    SeqMeanTokenSum,
}

public static class LossAggregation
{
    /// <summary>
    /// Aggregates a per-token loss over the response mask. <paramref name="denominator"/> overrides the normaliser
    /// (token count for <see cref="AggregationMode.TokenMean"/>, sequence count N for the two seq modes) so that
    /// micro-batches of one mini-batch, each divided by the mini-batch's total, sum to the mini-batch's loss.
    /// Default normalisers: max(Σ m, 1) tokens; N sequences (rows, including fully masked ones). A sequence with
    /// no unmasked token contributes 0 in every mode.
    /// </summary>
    public static Tensor Aggregate(Tensor perToken, Tensor mask, AggregationMode mode, double? denominator = null)
    {
        LossChecks.RequireRank(perToken, nameof(perToken), 2, "[N sequences, T response tokens]");
        LossChecks.RequireSameShape(mask, nameof(mask), perToken, nameof(perToken));
        if (perToken.shape[0] < 1)
            throw new ArgumentException("perToken has no sequences (N = 0); aggregate a mini-batch with at least one sequence.", nameof(perToken));
        if (denominator is { } d && !(d > 0 && double.IsFinite(d)))
            throw new ArgumentOutOfRangeException(nameof(denominator), d, "denominator must be a positive finite count (tokens or sequences of the whole mini-batch).");
        var m = mask.to_type(perToken.dtype);
        return mode switch
        {
            AggregationMode.TokenMean => TokenMean(perToken, m, denominator),
            AggregationMode.SeqMeanTokenMean => SeqMeanTokenMean(perToken, m, denominator),
            AggregationMode.SeqMeanTokenSum => SeqMeanTokenSum(perToken, m, denominator),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown aggregation mode; use TokenMean, SeqMeanTokenMean or SeqMeanTokenSum."),
        };
    }

    // L = Σ_{n,t} m_{n,t} L_{n,t} / Σ_{n,t} m_{n,t}
    private static Tensor TokenMean(Tensor loss, Tensor m, double? denominator) =>
        denominator is { } d ? DivideBy((loss * m).sum(), d) : (loss * m).sum().div(m.sum().clamp_min(Scalars.One));

    // L = (1/N) Σ_n [ Σ_t m_{n,t} L_{n,t} / Σ_t m_{n,t} ]
    private static Tensor SeqMeanTokenMean(Tensor loss, Tensor m, double? denominator) =>
        DivideBy((loss * m).sum(1).div(m.sum(1).clamp_min(Scalars.One)).sum(), denominator ?? loss.shape[0]);

    // L = (1/N) Σ_n Σ_t m_{n,t} L_{n,t}
    private static Tensor SeqMeanTokenSum(Tensor loss, Tensor m, double? denominator) =>
        DivideBy((loss * m).sum(), denominator ?? loss.shape[0]);

    private static Tensor DivideBy(Tensor value, double divisor)
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
