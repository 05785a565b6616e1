using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Compute;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Losses;

/// <summary>The policy-side knobs of the loss (spec §5–§6). Defaults are DSDR's; GRPO is ClipHigh 0.2, LambdaLocal 0.</summary>
/// <param name="ClipLow">ε_low of the surrogate clip.</param>
/// <param name="ClipHigh">ε_high of the surrogate clip (clip-higher: 0.28).</param>
/// <param name="DualClip">c &gt; 1 of dual-clip, or null for none.</param>
/// <param name="Aggregation">how per-token losses (policy and KL) become a scalar: a name of <see cref="LossKernels.Aggregations"/>.</param>
/// <param name="LambdaLocal">λ_ℓ, weight of the entropy term J; 0 leaves it out of the loss (still logged).</param>
/// <param name="KlBeta">β of the KL penalty to the reference; 0 skips it entirely (no reference log-probs needed).</param>
/// <param name="KlEstimator">estimator of the per-token KL when β &gt; 0.</param>
/// <param name="PolicyLoss">the per-token policy-gradient loss: a name of <see cref="LossKernels.PolicyLosses"/>.</param>
/// <param name="EntropyTerm">the entropy term J: a name of <see cref="LossKernels.EntropyTerms"/>.</param>
/// <param name="MaxResponseTokens">L_max, the generation limit, for aggregations that divide by a constant length.</param>
public sealed record PolicyLossConfig(
    double ClipLow = 0.2,
    double ClipHigh = 0.28,
    double? DualClip = null,
    string Aggregation = Core.Sweeps.LossAggregation.TokenMean,
    double LambdaLocal = 0.001,
    double KlBeta = 0.0,
    KlEstimator KlEstimator = KlEstimator.K3,
    string PolicyLoss = BuiltInParts.PpoClip,
    string EntropyTerm = BuiltInParts.LocalPositiveEntropy,
    int MaxResponseTokens = 0)
{
    public void Validate()
    {
        PolicyGradientLoss.CheckClipRange(ClipLow, ClipHigh, DualClip);
        LossChecks.RequireFinite(LambdaLocal, nameof(LambdaLocal));
        if (!(KlBeta >= 0 && double.IsFinite(KlBeta)))
            throw new ArgumentOutOfRangeException(nameof(KlBeta), KlBeta, "KlBeta (β) must be a finite number ≥ 0; 0 turns the KL penalty off.");
        RequireKnown(LossKernels.Aggregations, Aggregation, nameof(Aggregation));
        RequireKnown(LossKernels.PolicyLosses, PolicyLoss, nameof(PolicyLoss));
        RequireKnown(LossKernels.EntropyTerms, EntropyTerm, nameof(EntropyTerm));
        if (!Enum.IsDefined(KlEstimator))
            throw new ArgumentOutOfRangeException(nameof(KlEstimator), KlEstimator, "Unknown KL estimator; use K1, K2 or K3.");
        if (MaxResponseTokens < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxResponseTokens), MaxResponseTokens, "MaxResponseTokens (L_max) must be ≥ 0 (0: not given).");
    }

    private static void RequireKnown<T>(Registry<T> registry, string name, string field) where T : class, IRegistered
    {
        if (name is null || !registry.TryGet(name, out _))
            throw new ArgumentOutOfRangeException(field, name, $"{field}: {registry.UnknownReason(name ?? "")}.");
    }
}

/// <summary>
/// One (micro-)batch of N = B·G sampled sequences with T response tokens, as the loss needs it. The caller computes
/// the advantages (from r̃) and coupling weights with Core; this type only carries them as tensors.
/// </summary>
/// <param name="Tokens">[N, T] sampled token ids (any id at padding positions).</param>
/// <param name="OldLogProbs">[N, T] log π_old of the sampled tokens (recorded at sampling time), no gradient.</param>
/// <param name="Mask">[N, T] response mask, 1 for response tokens, 0 for padding.</param>
/// <param name="Advantages">[N] group advantages A_i computed from r̃ (or [N, T] per token).</param>
/// <param name="CouplingWeights">[N] w_i (spec §3): 0 for incorrect rollouts, summing to 1 over a group's correct ones.</param>
/// <param name="GroupIndex">[N] prompt id of each sequence; the number of distinct ids is B.</param>
/// <param name="RefLogProbs">[N, T] log π_ref of the sampled tokens; required only when β &gt; 0.</param>
public sealed record PolicyLossBatch(
    Tensor Tokens,
    Tensor OldLogProbs,
    Tensor Mask,
    Tensor Advantages,
    Tensor CouplingWeights,
    Tensor GroupIndex,
    Tensor? RefLogProbs = null);

/// <summary>
/// Normalisers of the whole mini-batch, for a caller that splits it into micro-batches and accumulates gradients:
/// with these, the micro-batch losses sum to the mini-batch's loss. Leave null to normalise by the batch itself.
/// </summary>
/// <param name="Tokens">unmasked tokens in the mini-batch (token-mean).</param>
/// <param name="Sequences">sequences in the mini-batch (seq-mean modes).</param>
/// <param name="Prompts">prompts (groups) in the mini-batch (J_local's mean over prompts).</param>
public sealed record MiniBatchTotals(double Tokens, double Sequences, int Prompts);

/// <summary>Scalar parts of one loss evaluation, for the step metrics.</summary>
/// <param name="Total">L = L_pg − λ_ℓ·J + β·KL.</param>
/// <param name="PolicyLoss">L_pg, the aggregated clipped surrogate.</param>
/// <param name="LocalTerm">the entropy term J (J_local of spec §4 for DSDR), before the factor λ_ℓ.</param>
/// <param name="Kl">aggregated KL to the reference before β; null when β = 0 (not computed).</param>
/// <param name="ClipFractions">shares of tokens where the low, high and dual clips acted.</param>
/// <param name="Entropy">full-vocabulary token entropy, token-mean over the response mask (all arms, not optimised).</param>
/// <param name="ApproxKlToOld">mean over tokens of log π_old − log π_θ (drift from the sampling policy).</param>
public sealed record LossComponents(
    double Total,
    double PolicyLoss,
    double LocalTerm,
    double? Kl,
    ClipFractions ClipFractions,
    double Entropy,
    double ApproxKlToOld);

/// <summary>The scalar loss to call backward() on (owned by the caller's dispose scope) and its parts.</summary>
public sealed record DsdrLossResult(Tensor Loss, LossComponents Components);

/// <summary>
/// The total loss of one update: the arms differ only in its inputs and <see cref="PolicyLossConfig"/>, whose names pick
/// the registered policy loss, aggregation and entropy term (<see cref="LossKernels"/>).
/// </summary>
public static class DsdrLoss
{
    // L = L_pg(A from r̃) − λ_ℓ · J + β · KL(π_θ ‖ π_ref)   (J = J_local for DSDR)
    public static DsdrLossResult Compute(Tensor logits, PolicyLossBatch batch, PolicyLossConfig config, MiniBatchTotals? totals = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        LossChecks.RequireRank(logits, nameof(logits), 3, "[N sequences, T response tokens, V vocabulary]");
        LossChecks.RequireSameShape(batch.OldLogProbs, nameof(batch.OldLogProbs), batch.Tokens, nameof(batch.Tokens));
        LossChecks.RequireSameShape(batch.Mask, nameof(batch.Mask), batch.Tokens, nameof(batch.Tokens));
        if (config.KlBeta > 0 && batch.RefLogProbs is null)
            throw new ArgumentException($"KlBeta is {config.KlBeta} but the batch has no RefLogProbs; compute them with the frozen reference model, or set KlBeta to 0.", nameof(batch));

        using var scope = NewDisposeScope();
        var logp = TokenLogProbs.SequenceLogProbs(logits, batch.Tokens);
        var mask = batch.Mask.to_type(logp.dtype);

        var surrogate = LossKernels.PolicyLosses.Get(config.PolicyLoss).PerToken(logp, batch.OldLogProbs, batch.Advantages, mask, config);
        var policyLoss = LossAggregation.Aggregate(surrogate.PerTokenLoss, mask, config.Aggregation, totals, config.MaxResponseTokens);

        // with λ_ℓ = 0 the term is still computed for the metrics, on detached logits and log π (no gradient, no graph)
        var trainsEntropy = config.LambdaLocal != 0;
        var localTerm = LossKernels.EntropyTerms.Get(config.EntropyTerm).Compute(new EntropyTermInputs(
            trainsEntropy ? logits : logits.detach(), trainsEntropy ? logp : logp.detach(), mask, batch, totals, config));

        using var lambdaLocal = config.LambdaLocal.ToScalar();
        using var klBeta = config.KlBeta.ToScalar();
        var loss = config.LambdaLocal != 0 ? policyLoss - localTerm.mul(lambdaLocal) : policyLoss;
        Tensor? kl = null;
        if (config.KlBeta > 0)
        {
            kl = KlPenalty.Loss(logp, batch.RefLogProbs!, mask, config.KlEstimator, config.Aggregation, totals, config.MaxResponseTokens);
            loss = loss.add(kl.mul(klBeta), Scalars.One);
        }

        var entropy = LossAggregation.MaskedMeanValue(TokenLogProbs.TokenEntropy(logits), mask);
        var components = new LossComponents(
            Total: Scalars.ValueOf(loss),
            PolicyLoss: Scalars.ValueOf(policyLoss),
            LocalTerm: Scalars.ValueOf(localTerm),
            Kl: kl is null ? null : Scalars.ValueOf(kl),
            ClipFractions: surrogate.ClipFractions,
            Entropy: entropy,
            ApproxKlToOld: PolicyGradientLoss.ApproxKlToOld(logp, batch.OldLogProbs, mask));
        return new DsdrLossResult(loss.MoveToOuterDisposeScope(), components);
    }
}
