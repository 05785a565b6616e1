using static Dsdr.Core.Method.DsdrMath;

namespace Dsdr.Core.Method;

/// <summary>Every per-rollout quantity of one scored group, in input order (spec §1–§3).</summary>
/// <param name="Semantic">D_emb(i).</param>
/// <param name="Formula">D_eq(i).</param>
/// <param name="Diversity">d_i = ½(D_emb + D_eq).</param>
/// <param name="Clipped">d̄_i = clip(d_i, 0, σ_d).</param>
/// <param name="ShapedRewards">r̃_i.</param>
/// <param name="Advantages">A_i from r̃ (by the configured advantage estimator).</param>
/// <param name="Weights">coupling weights w_i (sum to 1 over correct rollouts, 0 elsewhere).</param>
/// <remarks>The four diversity arrays are empty when the arm uses no diversity and d was not computed (<see cref="GroupScorer.ScoreRewardsOnly"/>).</remarks>
public sealed record GroupScores(
    double[] Semantic,
    double[] Formula,
    double[] Diversity,
    double[] Clipped,
    double[] ShapedRewards,
    double[] Advantages,
    double[] Weights)
{
    public int Count => ShapedRewards.Length;

    /// <summary>Whether d (and its parts) were computed for this group.</summary>
    public bool HasDiversity => Diversity.Length == Count;
}

/// <summary>Scores one group of G rollouts: rewards + unit embeddings + formula sets → d, r̃, A, w.</summary>
public static class GroupScorer
{
    /// <summary>Largest allowed deviation of an embedding's L2 norm from 1.</summary>
    public const double UnitNormTolerance = 1e-3;

    public static GroupScores Score(
        IReadOnlyList<double> rewards,
        IReadOnlyList<float[]> unitEmbeddings,
        IReadOnlyList<IReadOnlySet<string>> formulaSets,
        ScoringConfig config)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(unitEmbeddings);
        ArgumentNullException.ThrowIfNull(formulaSets);
        ValidateConfig(config);
        ValidateGroup(rewards, unitEmbeddings, formulaSets);

        var distances = PairwiseDistances(unitEmbeddings);
        var semantic = config.SemanticNeighbours == SemanticNeighbours.CorrectOnly
            ? SemanticScoresCorrectOnly(distances, rewards)
            : SemanticScores(distances);
        var formula = FormulaUniqueness(formulaSets);
        var diversity = Diversity(semantic, formula);
        var clipped = Clip(diversity, config.SigmaD);
        var shaped = ShapedRewards(rewards, clipped, config.LambdaD);
        var advantages = config.Advantages(shaped);
        var weights = CouplingWeights(rewards, clipped, config.Tau);
        return new GroupScores(semantic, formula, diversity, clipped, shaped, advantages, weights);
    }

    /// <summary>
    /// Scores a group whose update does not depend on d: an arm without diversity signal (λ_d = 0, its coupling weights
    /// unused or uniform), or any group without a correct rollout (shaping and w act on correct rollouts only). r̃ = r,
    /// A from r, w uniform over the correct rollouts (τ = 0; all 0 when none is correct); d is not computed, so no
    /// embedding is needed. For a group without a correct rollout this equals <see cref="Score"/>'s r̃, A and w exactly.
    /// </summary>
    public static GroupScores ScoreRewardsOnly(IReadOnlyList<double> rewards, ScoringConfig config)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ValidateConfig(config);
        if (rewards.Count == 0) throw new ArgumentException("rewards is empty: a group needs at least one rollout.", nameof(rewards));
        if (config.LambdaD != 0 && rewards.Any(IsCorrect))
            throw new ArgumentException($"LambdaD (λ_d) = {config.LambdaD} and a rollout is correct: its shaping needs d, so score the group with its embeddings (Score).", nameof(config));
        for (int i = 0; i < rewards.Count; i++)
            if (!double.IsFinite(rewards[i]))
                throw new ArgumentException($"rewards[{i}] = {rewards[i]} is not a finite number; rewards are 1 (correct) or 0 (incorrect).", nameof(rewards));
        var shaped = rewards.ToArray();
        var advantages = config.Advantages(shaped);
        var weights = CouplingWeights(rewards, new double[rewards.Count], 0);
        return new GroupScores([], [], [], [], shaped, advantages, weights);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first out-of-range field of <paramref name="config"/>.</summary>
    public static void ValidateConfig(ScoringConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!double.IsFinite(config.LambdaD) || config.LambdaD < 0)
            throw new ArgumentException($"LambdaD (λ_d) = {config.LambdaD} is invalid: it must be a finite number ≥ 0 (spec default 0.001).", nameof(config));
        if (!double.IsFinite(config.Tau) || config.Tau < 0)
            throw new ArgumentException($"Tau (τ) = {config.Tau} is invalid: it must be a finite number ≥ 0 (0 gives uniform coupling; spec default 5).", nameof(config));
        if (!(config.SigmaD > 0 && config.SigmaD <= 1))
            throw new ArgumentException($"SigmaD (σ_d) = {config.SigmaD} is invalid: it must lie in (0, 1] (spec default 1.0).", nameof(config));
        if (!double.IsFinite(config.Epsilon) || config.Epsilon <= 0)
            throw new ArgumentException($"Epsilon (ε) = {config.Epsilon} is invalid: it must be a finite number > 0 (spec default 1e-6).", nameof(config));
        if (!Enum.IsDefined(config.SemanticNeighbours))
            throw new ArgumentException($"SemanticNeighbours = {(int)config.SemanticNeighbours} is invalid: use Group or CorrectOnly.", nameof(config));
        if (config.AdvantageEstimator is null || !MethodRegistries.AdvantageEstimators.TryGet(config.AdvantageEstimator, out _))
            throw new ArgumentException($"AdvantageEstimator: {MethodRegistries.AdvantageEstimators.UnknownReason(config.AdvantageEstimator ?? "")}.", nameof(config));
    }

    private static void ValidateGroup(
        IReadOnlyList<double> rewards, IReadOnlyList<float[]> embeddings, IReadOnlyList<IReadOnlySet<string>> formulaSets)
    {
        int g = rewards.Count;
        if (g == 0)
            throw new ArgumentException("rewards is empty: a group needs at least one rollout.", nameof(rewards));
        if (embeddings.Count != g)
            throw new ArgumentException($"embeddings has {embeddings.Count} entries but rewards has {g}; give one embedding per rollout.", nameof(embeddings));
        if (formulaSets.Count != g)
            throw new ArgumentException($"formulaSets has {formulaSets.Count} entries but rewards has {g}; give one formula set per rollout (empty when none).", nameof(formulaSets));

        for (int i = 0; i < g; i++)
            if (!double.IsFinite(rewards[i]))
                throw new ArgumentException($"rewards[{i}] = {rewards[i]} is not a finite number; rewards are 1 (correct) or 0 (incorrect).", nameof(rewards));

        int dim = embeddings[0]?.Length ?? 0;
        if (dim == 0)
            throw new ArgumentException("embeddings[0] is null or empty; every rollout needs a unit embedding vector.", nameof(embeddings));
        for (int i = 0; i < g; i++)
        {
            var z = embeddings[i];
            if (z is null || z.Length != dim)
                throw new ArgumentException($"embeddings[{i}] has dimension {z?.Length ?? 0} but embeddings[0] has {dim}; embed every rollout with the same encoder.", nameof(embeddings));
            double norm2 = 0;
            foreach (float x in z)
            {
                if (!float.IsFinite(x))
                    throw new ArgumentException($"embeddings[{i}] holds a non-finite value ({x}).", nameof(embeddings));
                norm2 += (double)x * x;
            }
            double norm = Math.Sqrt(norm2);
            if (Math.Abs(norm - 1.0) > UnitNormTolerance)
                throw new ArgumentException($"embeddings[{i}] has L2 norm {norm:G6}, not 1; pass L2-normalised vectors z̄ = f(o)/‖f(o)‖.", nameof(embeddings));
            if (formulaSets[i] is null)
                throw new ArgumentException($"formulaSets[{i}] is null; use an empty set for a rollout without formulas.", nameof(formulaSets));
        }
    }
}
