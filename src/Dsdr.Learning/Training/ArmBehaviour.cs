using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Losses;

namespace Dsdr.Learning.Training;

/// <summary>
/// What a resolved <see cref="TrainingConfig"/> (defaults ← arm ← base ← grid ← arm pins, see <see cref="ArmPresets"/>)
/// asks of the trainer. The arms differ only in these values, e.g.
/// grpo = clip 0.2/0.2, λ_d = λ_ℓ = 0; dapo = clip 0.2/0.28, λ_d = λ_ℓ = 0, dynamic sampling, overlong penalty;
/// dsdr = clip 0.2/0.28, λ_d, λ_ℓ, τ; its ablations pin λ_d = 0 (no-gd), λ_ℓ = 0 (no-gc) or τ = 0 (uniform); other arms
/// name another registered advantage estimator, policy loss, aggregation or entropy term.
/// </summary>
/// <param name="Scoring">Reward side: r̃ and A from Core's <see cref="GroupScorer"/> (λ_d = 0 leaves r̃ = r).</param>
/// <param name="Loss">Policy side: policy loss, clip range, aggregation, entropy term and λ_ℓ, KL.</param>
/// <param name="DynamicSampling">Drop groups whose rewards are all 0 or all 1 and generate more (DAPO).</param>
/// <param name="MaxGenerationRounds">Cap on generation rounds per step when dynamic sampling refills the batch.</param>
/// <param name="Overlong">DAPO's soft overlong penalty, or null when off.</param>
public sealed record ArmBehaviour(
    ScoringConfig Scoring,
    PolicyLossConfig Loss,
    bool DynamicSampling,
    int MaxGenerationRounds,
    OverlongPenalty? Overlong)
{
    /// <summary>
    /// Whether the update depends on the diversity score d: through shaping (λ_d &gt; 0) or through the coupling weights of an
    /// entropy term that uses them (λ_ℓ &gt; 0 and τ &gt; 0). Arms that do not (grpo, dapo, dsdr-no-gd) need embeddings only
    /// for the logged similarity.
    /// </summary>
    public bool UsesDiversity => DependsOnDiversity(Scoring.LambdaD, Loss.LambdaLocal, Scoring.Tau, Loss.EntropyTerm);

    private static bool DependsOnDiversity(double lambdaD, double lambdaL, double tau, string entropyTerm) =>
        lambdaD > 0 || (lambdaL > 0 && tau > 0 && MethodRegistries.EntropyTerms.Get(entropyTerm).UsesCouplingWeights);

    /// <summary>The behaviour of a resolved config. An arm whose update does not depend on d scores with τ = 0 (uniform w, which
    /// its update ignores or already uses), so its groups score the same with or without embeddings.</summary>
    public static ArmBehaviour From(TrainingConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var scoring = config.ToScoringConfig();
        if (!DependsOnDiversity(scoring.LambdaD, config.LambdaL, scoring.Tau, config.EntropyTerm)) scoring = scoring with { Tau = 0 };
        return new ArmBehaviour(
            scoring,
            new PolicyLossConfig(config.ClipLow, config.ClipHigh, config.DualClip, config.LossAggregation,
                config.LambdaL, config.KlBeta, config.KlEstimator, config.PolicyLoss, config.EntropyTerm, config.MaxNewTokens),
            config.DynamicSampling,
            config.MaxGenerationRounds,
            config.OverlongBuffer ? new OverlongPenalty(config.MaxNewTokens, config.OverlongBufferLength, config.OverlongPenaltyFactor) : null);
    }

    /// <summary>The named arm applied to <paramref name="baseConfig"/> (its pins), then mapped.</summary>
    public static ArmBehaviour For(string arm, TrainingConfig baseConfig) => From(ArmPresets.Apply(arm, baseConfig));
}

/// <summary>
/// DAPO's soft overlong punishment: no penalty up to L_max − L_buf tokens, then linear down to −factor at L_max.
/// </summary>
/// <param name="MaxTokens">L_max, the generation limit.</param>
/// <param name="BufferLength">L_buf, the length of the soft zone before L_max.</param>
/// <param name="Factor">Penalty at (and beyond) L_max.</param>
public sealed record OverlongPenalty(int MaxTokens, int BufferLength, double Factor)
{
    // R_len(L) = 0 if L ≤ L_max − L_buf;  factor·(L_max − L_buf − L)/L_buf if L_max − L_buf < L ≤ L_max;  −factor beyond
    public double Of(int length)
    {
        var free = MaxTokens - BufferLength;
        if (length <= free) return 0.0;
        if (length > MaxTokens) return -Factor;
        return Factor * (free - length) / BufferLength;
    }
}
