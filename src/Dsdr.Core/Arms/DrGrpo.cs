using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using static Dsdr.Core.Sweeps.ArmSettings;

namespace Dsdr.Core.Arms;

/// <summary>
/// Dr. GRPO (Liu et al. 2025, "Understanding R1-Zero-like Training"): GRPO without its two biases. Advantages are not
/// divided by the group's std (A_i = r_i − mean(r)), and a sequence's token losses are summed and divided by a constant,
/// the generation limit L_max, instead of by its own length |o_i| (which favours long wrong answers).
/// </summary>
public static class DrGrpo
{
    public const string Name = "dr-grpo";
    public const string AggregationName = "seq-mean-token-sum-norm";

    [Registered]
    public static LossAggregationInfo ConstantLength { get; } = new(AggregationName,
        "Dr. GRPO: (1/N) Σ_n Σ_t m·L / L_max: each sequence's token sum over the generation limit L_max (a constant), not over its length");

    [Registered]
    public static ArmPreset Arm { get; } = new(Name,
        "Dr. GRPO: A_i = r_i − mean(r) (no std), token sums over L_max (no length normalisation), clip 0.2/0.2, no diversity terms",
        [.. Clip, .. NoDapoTricks],
        [.. NoDiversity, S("advantageEstimator", BuiltInParts.GroupNormalised), S("stdNormalize", false), S("lossAggregation", AggregationName)]);
}
