using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using static Dsdr.Core.Sweeps.ArmSettings;

namespace Dsdr.Core.Arms;

/// <summary>
/// GRPO with the classic token-entropy bonus (PPO's entropy coefficient; the baseline DSDR's related work contrasts with):
/// the loss subtracts β·H̄, H̄ the aggregated full-vocabulary entropy of the policy on every response token, correct or not.
/// β is λ_ℓ (so a λ_ℓ grid sweeps it); DSDR instead spends λ_ℓ on correct rollouts only, weighted by their diversity.
/// </summary>
public static class EntropyBonus
{
    public const string Name = "entropy-bonus";
    public const string TermName = "token-entropy";

    [Registered]
    public static EntropyTermInfo Term { get; } = new(TermName,
        "Token-entropy bonus: J = aggregate over response tokens of H_t = −Σ_v π_θ(v) log π_θ(v) (full vocabulary, every rollout alike)",
        UsesCouplingWeights: false);

    [Registered]
    public static ArmPreset Arm { get; } = new(Name,
        "GRPO + entropy bonus: L = L_GRPO − β·H̄ with β = λ_ℓ and H̄ the token entropy over all rollouts; clip 0.2/0.2, no diversity bonus",
        [.. Clip, .. NoDapoTricks],
        [S("lambdaD", 0.0), S("tau", 0.0), S("entropyTerm", TermName), S("advantageEstimator", BuiltInParts.GroupNormalised), S("stdNormalize", true)]);
}
