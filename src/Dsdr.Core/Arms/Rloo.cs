using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using static Dsdr.Core.Sweeps.ArmSettings;

namespace Dsdr.Core.Arms;

/// <summary>
/// REINFORCE leave-one-out (Kool et al. 2019; Ahmadian et al. 2024, "Back to Basics"): each rollout's baseline is the mean
/// reward of the other G − 1 rollouts of its group, so the baseline never contains the rollout it judges. No std scaling.
/// </summary>
public static class Rloo
{
    public const string Name = "rloo";

    // A_i = r_i − (1/(G−1)) · Σ_{j≠i} r_j   (= G/(G−1) · (r_i − mean(r)));  A = 0 for a group of one
    public static double[] Advantages(IReadOnlyList<double> rewards)
    {
        int g = rewards.Count;
        var advantages = new double[g];
        if (g < 2) return advantages;
        double sum = 0;
        for (int i = 0; i < g; i++) sum += rewards[i];
        for (int i = 0; i < g; i++) advantages[i] = rewards[i] - (sum - rewards[i]) / (g - 1);
        return advantages;
    }

    [Registered]
    public static IAdvantageEstimator Estimator { get; } = new LeaveOneOut();

    [Registered]
    public static ArmPreset Arm { get; } = new(Name,
        "RLOO: leave-one-out baseline A_i = r_i − mean_{j≠i} r_j (no std scaling), clip 0.2/0.2, no diversity terms",
        [.. Clip, .. NoDapoTricks],
        [.. NoDiversity, S("advantageEstimator", Name), S("stdNormalize", false)]);

    private sealed class LeaveOneOut : IAdvantageEstimator
    {
        string IRegistered.Name => Name;
        public string Description => "RLOO: A_i = r̃_i − (1/(G−1)) Σ_{j≠i} r̃_j, the leave-one-out baseline (stdNormalize does not apply)";
        public double[] Estimate(IReadOnlyList<double> rewards, ScoringConfig config) => Advantages(rewards);
    }
}
