using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Losses;

/// <summary>
/// Per-token log-probabilities and entropies from policy logits [N, T, V]. Both work on row chunks of the
/// flattened [N·T, V] logits so that no full-size [N, T, V] temporary (a log_softmax or softmax copy) is made:
/// the extra memory is one chunk of <see cref="DefaultChunkElements"/> elements at a time.
/// </summary>
public static class TokenLogProbs
{
    /// <summary>Budget for one chunk's temporaries, in elements (2^24 ≈ 64 MiB of float32).</summary>
    public const long DefaultChunkElements = 1L << 24;

    // log π(o_t | q, o_<t) = z[o_t] − logsumexp(z)   (= gather(log_softmax(z), o_t), without the [N, T, V] log_softmax)
    public static Tensor SequenceLogProbs(Tensor logits, Tensor tokens, long chunkElements = DefaultChunkElements)
    {
        var (n, t, v) = CheckLogits(logits);
        LossChecks.RequireShape(tokens, nameof(tokens), n, t);
        if (tokens.is_floating_point() || tokens.dtype == ScalarType.Bool)
            throw new ArgumentException($"tokens has dtype {tokens.dtype}; expected integer token ids (int64 or int32).", nameof(tokens));
        if (tokens.numel() > 0)
        {
            var min = tokens.min().ToInt64();
            var max = tokens.max().ToInt64();
            if (min < 0 || max >= v)
                throw new ArgumentException($"tokens holds ids in [{min}, {max}] but the logits have a vocabulary of {v}; every id (padding included) must be in [0, {v - 1}].", nameof(tokens));
        }

        using var scope = NewDisposeScope();
        var rows = logits.reshape(n * t, v);
        var ids = tokens.to_type(ScalarType.Int64).reshape(n * t, 1);
        var chunk = RowsPerChunk(v, chunkElements);
        var parts = new List<Tensor>();
        for (long start = 0; start < n * t; start += chunk)
        {
            var length = Math.Min(chunk, n * t - start);
            var z = rows.narrow(0, start, length);
            var picked = z.gather(1, ids.narrow(0, start, length)).squeeze(1);
            parts.Add(picked - z.logsumexp(1));
        }
        var logp = parts.Count == 1 ? parts[0] : cat(parts, 0);
        return logp.reshape(n, t).MoveToOuterDisposeScope();
    }

    // H_t = −Σ_v p_v log p_v = logsumexp(z) − Σ_v softmax(z)_v · z_v   (full vocabulary, no gradient: logged, not optimised)
    public static Tensor TokenEntropy(Tensor logits, long chunkElements = DefaultChunkElements)
    {
        var (n, t, v) = CheckLogits(logits);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rows = logits.detach().reshape(n * t, v);
        var chunk = RowsPerChunk(v, chunkElements);
        var parts = new List<Tensor>();
        for (long start = 0; start < n * t; start += chunk)
        {
            var z = rows.narrow(0, start, Math.Min(chunk, n * t - start));
            parts.Add(z.logsumexp(1) - (z.softmax(1) * z).sum(1));
        }
        var entropy = parts.Count == 1 ? parts[0] : cat(parts, 0);
        return entropy.reshape(n, t).MoveToOuterDisposeScope();
    }

    private static (long N, long T, long V) CheckLogits(Tensor logits)
    {
        LossChecks.RequireRank(logits, nameof(logits), 3, "[N sequences, T response tokens, V vocabulary]");
        LossChecks.RequireFloating(logits, nameof(logits));
        if (logits.shape[2] < 1)
            throw new ArgumentException("logits has an empty vocabulary dimension; expected V ≥ 1.", nameof(logits));
        return (logits.shape[0], logits.shape[1], logits.shape[2]);
    }

    private static long RowsPerChunk(long vocabulary, long chunkElements)
    {
        if (chunkElements < 1)
            throw new ArgumentOutOfRangeException(nameof(chunkElements), chunkElements, "chunkElements must be at least 1.");
        return Math.Max(1, chunkElements / vocabulary);
    }
}
