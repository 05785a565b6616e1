using Dsdr.Learning.Compute;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Losses;

/// <summary>
/// DSDR's local positive-sample entropy regulariser J_local (spec §4), to be maximised (the total loss subtracts λ_ℓ·J_local).
/// <para>
/// ρ carries gradient, on purpose. Σ_a π_old(a)·[−ρ(a)·log π_θ(a)] = −Σ_a π_θ(a)·log π_θ(a) = H(π_θ), so the term is an
/// importance-sampled estimate of the entropy of the current policy, and the paper re-expresses the entropy this way
/// "to remain differentiable". With ρ live, ∇[−ρ·log π_θ] = −ρ·(log π_θ + 1)·∇log π_θ, whose expectation under π_old is
/// exactly ∇H(π_θ). With ρ detached the gradient would be −ρ·∇log π_θ, whose expectation is −Σ_a ∇π_θ(a) = 0: no entropy
/// signal, only sampling noise that sharpens the policy on its own samples. So ρ = exp(log π_θ − log π_old) is built
/// from the live log π_θ, unclipped.
/// </para>
/// </summary>
public static class LocalEntropyTerm
{
    /// <summary>
    /// J_local for a batch whose sequences belong to the prompts named by <paramref name="groupIndex"/> ([N] integer ids,
    /// any values; the number of distinct ids is the number of prompts B).
    /// </summary>
    public static Tensor Compute(Tensor logp, Tensor logpOld, Tensor mask, Tensor weights, Tensor groupIndex)
    {
        LossChecks.RequireRank(logp, nameof(logp), 2, "[N sequences, T response tokens]");
        LossChecks.RequireShape(groupIndex, nameof(groupIndex), logp.shape[0]);
        if (groupIndex.is_floating_point() || groupIndex.dtype == ScalarType.Bool)
            throw new ArgumentException($"groupIndex has dtype {groupIndex.dtype}; expected integer prompt ids, one per sequence.", nameof(groupIndex));
        int prompts;
        using (var scope = NewDisposeScope())
            prompts = groupIndex.cpu().to_type(ScalarType.Int64).contiguous().data<long>().Distinct().Count();
        return Compute(logp, logpOld, mask, weights, prompts);
    }

    /// <summary>
    /// J_local with an explicit number of prompts B: the prompts of this batch, or of the whole mini-batch when the
    /// caller splits it into micro-batches (then the micro-batch terms sum to the mini-batch's term).
    /// <paramref name="weights"/> [N] are the coupling weights w_i of spec §3: zero for incorrect rollouts (this is the
    /// 1[r_i = 1] factor) and summing to 1 over each group's correct rollouts.
    /// </summary>
    // J_local = (1/B) Σ_q Σ_{i∈q} w_i · [ −(1/T_i) Σ_t ρ_{i,t} · log π_θ(o_{i,t}) ],  ρ = π_θ/π_old (with gradient)
    public static Tensor Compute(Tensor logp, Tensor logpOld, Tensor mask, Tensor weights, int promptCount)
    {
        LossChecks.RequireRank(logp, nameof(logp), 2, "[N sequences, T response tokens]");
        LossChecks.RequireSameShape(mask, nameof(mask), logp, nameof(logp));
        LossChecks.RequireShape(weights, nameof(weights), logp.shape[0]);
        if (promptCount < 1)
            throw new ArgumentOutOfRangeException(nameof(promptCount), promptCount, "promptCount (B) must be at least 1.");
        using var scope = NewDisposeScope();
        using var prompts = promptCount.ToScalar();
        var m = mask.to_type(logp.dtype);
        var perSequence = SequenceEntropyEstimate(logp, logpOld, m);
        return (weights.to_type(logp.dtype) * perSequence).sum().div(prompts).MoveToOuterDisposeScope();
    }

    // ĥ_i = −(1/T_i) Σ_t m_{i,t} · ρ_{i,t} · log π_θ(o_{i,t}),  T_i = Σ_t m_{i,t}  (0 for a sequence without tokens)
    public static Tensor SequenceEntropyEstimate(Tensor logp, Tensor logpOld, Tensor mask)
    {
        var ratio = PolicyGradientLoss.Ratio(logp, logpOld);
        return -(ratio * logp * mask).sum(1) / mask.sum(1).clamp_min(Scalars.One);
    }
}
