namespace Dsdr.Core.Method;

/// <summary>A group's rewards → one advantage per rollout (verl's <c>compute_*_outcome_advantage</c>); pure math, here in Core.</summary>
public interface IAdvantageEstimator : IRegistered
{
    /// <summary>A_i for the (shaped) rewards of one group, in input order; a group of one gets A = 0.</summary>
    double[] Estimate(IReadOnlyList<double> rewards, ScoringConfig config);
}

/// <summary>A per-token policy-gradient loss (the clipped surrogate and its variants); Learning computes it with tensors under this name.</summary>
public sealed record PolicyLossInfo(string Name, string Description) : IRegistered;

/// <summary>How per-token losses become one scalar (spec §6, "loss aggregation"); Learning computes it under this name.</summary>
public sealed record LossAggregationInfo(string Name, string Description) : IRegistered;

/// <summary>
/// The entropy regulariser J that the loss subtracts as λ_ℓ·J; Learning computes it under this name.
/// <paramref name="UsesCouplingWeights"/>: J weighs rollouts by the coupling weights w (so τ &gt; 0 makes it depend on d).
/// </summary>
public sealed record EntropyTermInfo(string Name, string Description, bool UsesCouplingWeights) : IRegistered;

/// <summary>The registries of the method's parts, found in Core (every <see cref="RegisteredAttribute"/> property of the type).</summary>
public static class MethodRegistries
{
    private static readonly Lazy<Registry<IAdvantageEstimator>> advantageEstimators = new(() => Discover<IAdvantageEstimator>("advantage estimator"));
    private static readonly Lazy<Registry<PolicyLossInfo>> policyLosses = new(() => Discover<PolicyLossInfo>("policy loss"));
    private static readonly Lazy<Registry<LossAggregationInfo>> lossAggregations = new(() => Discover<LossAggregationInfo>("loss aggregation"));
    private static readonly Lazy<Registry<EntropyTermInfo>> entropyTerms = new(() => Discover<EntropyTermInfo>("entropy term"));

    public static Registry<IAdvantageEstimator> AdvantageEstimators => advantageEstimators.Value;
    public static Registry<PolicyLossInfo> PolicyLosses => policyLosses.Value;
    public static Registry<LossAggregationInfo> LossAggregations => lossAggregations.Value;
    public static Registry<EntropyTermInfo> EntropyTerms => entropyTerms.Value;

    private static Registry<T> Discover<T>(string kind) where T : class, IRegistered =>
        Registry<T>.Discover(kind, typeof(MethodRegistries).Assembly);
}

/// <summary>The parts the DSDR paper's arms (GRPO, DAPO, DSDR and its ablations) are made of (spec §2–§6).</summary>
public static class BuiltInParts
{
    public const string GroupNormalised = "grpo", PpoClip = "ppo-clip", LocalPositiveEntropy = "local-positive";

    [Registered(Order = 0)]
    public static IAdvantageEstimator GroupNormalisedAdvantage { get; } = new GroupAdvantage();

    [Registered(Order = 0)]
    public static PolicyLossInfo ClippedSurrogate { get; } = new(PpoClip,
        "PPO/GRPO token-level clipped surrogate: −min(ρ·A, clip(ρ, 1−ε_low, 1+ε_high)·A), ρ = π_θ/π_old per token; optional dual-clip c");

    [Registered(Order = 0)]
    public static LossAggregationInfo TokenMean { get; } = new(Sweeps.LossAggregation.TokenMean,
        "Σ_{n,t} m·L / Σ_{n,t} m: every token of the mini-batch weighs the same (verl/DAPO default)");

    [Registered(Order = 1)]
    public static LossAggregationInfo SeqMeanTokenMean { get; } = new(Sweeps.LossAggregation.SeqMeanTokenMean,
        "(1/N) Σ_n Σ_t m·L / Σ_t m: each sequence weighs the same whatever its length (the paper's Eq. 3)");

    [Registered(Order = 2)]
    public static LossAggregationInfo SeqMeanTokenSum { get; } = new(Sweeps.LossAggregation.SeqMeanTokenSum,
        "(1/N) Σ_n Σ_t m·L: token sums per sequence, mean over sequences; long answers weigh more");

    [Registered(Order = 0)]
    public static EntropyTermInfo LocalEntropy { get; } = new(LocalPositiveEntropy,
        "DSDR's local positive-sample entropy J_local = (1/B) Σ_q Σ_i w_i · (−(1/T_i) Σ_t ρ_{i,t} log π_θ) over correct rollouts (spec §4)", UsesCouplingWeights: true);

    private sealed class GroupAdvantage : IAdvantageEstimator
    {
        public string Name => GroupNormalised;
        public string Description => "GRPO: A_i = (r̃_i − mean(r̃)) / (std(r̃) + ε), sample std; stdNormalize = false gives A_i = r̃_i − mean(r̃)";

        public double[] Estimate(IReadOnlyList<double> rewards, ScoringConfig config) =>
            DsdrMath.GroupAdvantages(rewards, config.Epsilon, config.StdNormalize);
    }
}
