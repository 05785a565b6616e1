using Dsdr.Learning.Compute;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Losses;

/// <summary>
/// Per-token log-probabilities and entropies from policy logits [N, T, V]. Both walk the logits in blocks of at most
/// <see cref="DefaultChunkElements"/> elements (whole sequences when they fit, else runs of tokens of one sequence),
/// taking views, so no full-size [N, T, V] temporary (a log_softmax or softmax copy, or a contiguous copy of sliced
/// logits) is made: the extra memory is one block at a time. The backward pass still produces the [N, T, V] gradient.
/// </summary>
public static class TokenLogProbs
{
    /// <summary>Budget for one block's temporaries, in elements (2^24 ≈ 64 MiB of float32).</summary>
    public const long DefaultChunkElements = 1L << 24;

    // log π(o_t | q, o_<t) = z[o_t] − logsumexp(z)   (= gather(log_softmax(z), o_t), without the [N, T, V] log_softmax)
    public static Tensor SequenceLogProbs(Tensor logits, Tensor tokens, long chunkElements = DefaultChunkElements)
    {
        var (n, t, v) = CheckLogits(logits);
        LossChecks.RequireShape(tokens, nameof(tokens), n, t);
        if (tokens.is_floating_point() || tokens.dtype == ScalarType.Bool)
            throw new ArgumentException($"tokens has dtype {tokens.dtype}; expected integer token ids (int64 or int32).", nameof(tokens));

        using var scope = NewDisposeScope();
        var ids = tokens.to_type(ScalarType.Int64);
        if (ids.numel() > 0)
        {
            var min = Scalars.IntegerValueOf(ids.min());
            var max = Scalars.IntegerValueOf(ids.max());
            if (min < 0 || max >= v)
                throw new ArgumentException($"tokens holds ids in [{min}, {max}] but the logits have a vocabulary of {v}; every id (padding included) must be in [0, {v - 1}].", nameof(tokens));
        }
        var logp = MapBlocks(logits, chunkElements, (z, s, ts, tl) =>
            z.gather(2, ids.narrow(0, s, z.shape[0]).narrow(1, ts, tl).unsqueeze(2)).squeeze(2) - z.logsumexp(2));
        return logp.MoveToOuterDisposeScope();
    }

    // H_t = −Σ_v p_v log p_v = logsumexp(z) − Σ_v softmax(z)_v · z_v   (full vocabulary, no gradient: logged, not optimised)
    public static Tensor TokenEntropy(Tensor logits, long chunkElements = DefaultChunkElements)
    {
        CheckLogits(logits);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var entropy = MapBlocks(logits.detach(), chunkElements, (z, _, _, _) => z.logsumexp(2) - (z.softmax(2) * z).sum(2));
        return entropy.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Applies <paramref name="perBlock"/> (a [k, τ, V] view, its first sequence, first token and τ → a [k, τ] result)
    /// to blocks of at most <paramref name="chunkElements"/> logits and reassembles the [N, T] result.
    /// </summary>
    private static Tensor MapBlocks(Tensor logits, long chunkElements, Func<Tensor, long, long, long, Tensor> perBlock)
    {
        if (chunkElements < 1)
            throw new ArgumentOutOfRangeException(nameof(chunkElements), chunkElements, "chunkElements must be at least 1.");
        var (n, t, v) = (logits.shape[0], logits.shape[1], logits.shape[2]);
        var tokensPerBlock = Math.Max(1, chunkElements / v);
        if (n == 0 || t == 0 || tokensPerBlock >= n * t)
            return perBlock(logits, 0, 0, t);

        var rows = new List<Tensor>();
        if (tokensPerBlock >= t)
        {
            var sequencesPerBlock = tokensPerBlock / t;
            for (long s = 0; s < n; s += sequencesPerBlock)
                rows.Add(perBlock(logits.narrow(0, s, Math.Min(sequencesPerBlock, n - s)), s, 0, t));
            return cat(rows, 0);
        }
        for (long s = 0; s < n; s++)
        {
            var sequence = logits.narrow(0, s, 1);
            var pieces = new List<Tensor>();
            for (long ts = 0; ts < t; ts += tokensPerBlock)
            {
                var length = Math.Min(tokensPerBlock, t - ts);
                pieces.Add(perBlock(sequence.narrow(1, ts, length), s, ts, length));
            }
            rows.Add(cat(pieces, 1));
        }
        return cat(rows, 0);
    }

    private static (long N, long T, long V) CheckLogits(Tensor logits)
    {
        LossChecks.RequireRank(logits, nameof(logits), 3, "[N sequences, T response tokens, V vocabulary]");
        LossChecks.RequireFloating(logits, nameof(logits));
        if (logits.shape[2] < 1)
            throw new ArgumentException("logits has an empty vocabulary dimension; expected V ≥ 1.", nameof(logits));
        return (logits.shape[0], logits.shape[1], logits.shape[2]);
    }
}
