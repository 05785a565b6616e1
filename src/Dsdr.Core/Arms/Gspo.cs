using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using static Dsdr.Core.Sweeps.ArmSettings;

namespace Dsdr.Core.Arms;

/// <summary>
/// GSPO (Zheng et al. 2025, "Group Sequence Policy Optimization"): the importance ratio and its clip act on whole
/// sequences. s_i = (π_θ(y_i|x)/π_old(y_i|x))^{1/|y_i|} is the geometric mean of the token ratios, clipped in the paper's
/// small range (3e-4, 4e-4), and each sequence's objective min(s_i·A_i, clip(s_i)·A_i) weighs the same (mean over
/// sequences); advantages are GRPO's group-normalised ones.
/// </summary>
public static class Gspo
{
    public const string Name = "gspo";

    [Registered]
    public static PolicyLossInfo Loss { get; } = new(Name,
        "GSPO: −min(s_i·A_i, clip(s_i, 1−ε_low, 1+ε_high)·A_i) per sequence, s_i = exp((1/|y_i|) Σ_t log(π_θ/π_old)); optional dual-clip c on s_i");

    [Registered]
    public static ArmPreset Arm { get; } = new(Name,
        "GSPO: sequence-level ratio s_i = exp(mean token log-ratio), clipped at 3e-4/4e-4, sequence-mean loss, group-normalised advantages, no diversity terms",
        [S("clipLow", 3e-4), S("clipHigh", 4e-4), .. NoDapoTricks],
        [.. NoDiversity, S("policyLoss", Name), S("lossAggregation", LossAggregation.SeqMeanTokenMean),
            S("advantageEstimator", BuiltInParts.GroupNormalised), S("stdNormalize", true)]);
}
