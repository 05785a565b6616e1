using System.Collections.Immutable;
using Dsdr.Contracts;

namespace Dsdr.Runner.Simulation;

/// <summary>
/// The scored rollout groups a simulated trial records: G = 4 rollouts of a problem of the "simulated" dataset
/// (64 problems), each correct with the trial's simulated accuracy, scored with the method's formulas (λ_d = 0.001,
/// τ = 5) on simulated diversities. Deterministic in (trial, step, group): a replayed step records the same groups.
/// </summary>
public static class SimulatedRollouts
{
    public const string Dataset = "simulated";
    public const int Problems = 64;
    public const int GroupSize = 4;
    private const double LambdaD = 0.001;
    private const double Tau = 5;
    private const double Epsilon = 1e-6;

    /// <summary>Group <paramref name="index"/> of <paramref name="step"/>; groups of one step are on distinct problems.</summary>
    public static RolloutGroupRecord Group(string trialId, int step, int index)
    {
        var first = (int)(SimulatedMetrics.Hash($"{trialId}#{step}#problem") % Problems);
        var problem = (first + index) % Problems;
        var problemId = problem.ToString("D3", System.Globalization.CultureInfo.InvariantCulture);
        var p = SimulatedMetrics.Accuracy(trialId, step);
        var rewards = new double[GroupSize];
        var diversity = new double[GroupSize];
        var keys = new string?[GroupSize];
        for (var i = 0; i < GroupSize; i++)
        {
            var key = $"{trialId}#{step}#{index}#{i}";
            rewards[i] = (SimulatedMetrics.Noise(key + "#correct") + 1) / 2 < p ? 1 : 0;
            diversity[i] = (SimulatedMetrics.Noise(key + "#d") + 1) / 2;
            // up to three distinct correct solutions per problem
            keys[i] = rewards[i] > 0 ? $"{problemId}-solution-{SimulatedMetrics.Hash(key + "#solution") % 3}" : null;
        }
        var shaped = ShapedRewards(rewards, diversity);
        var advantages = Advantages(shaped);
        var weights = CouplingWeights(rewards, diversity);
        var rollouts = Enumerable.Range(0, GroupSize).Select(i => new ScoredRollout(
            $"Simulated rollout {i} for problem {problemId} at step {step}: {(rewards[i] > 0 ? keys[i] : "no solution")}",
            rewards[i], rewards[i] > 0, keys[i], diversity[i], shaped[i], advantages[i], weights[i])).ToImmutableArray();
        return new RolloutGroupRecord(trialId, step, GrainKeys.Problem(Dataset, problemId),
            $"Simulated problem {problemId}: reach {problem + 10} with the numbers given.", rollouts, Gold: $"{problem + 10}");
    }

    // r̃_i = r_i + λ_d · d_i · 1[r_i = 1]
    private static double[] ShapedRewards(double[] r, double[] d) => [.. r.Select((ri, i) => ri + (ri == 1 ? LambdaD * d[i] : 0))];

    // A_i = (r̃_i − mean(r̃)) / (std(r̃) + ε), sample std (N − 1)
    private static double[] Advantages(double[] shaped)
    {
        var mean = shaped.Average();
        var std = Math.Sqrt(shaped.Sum(x => (x - mean) * (x - mean)) / (shaped.Length - 1));
        return [.. shaped.Select(x => (x - mean) / (std + Epsilon))];
    }

    // w_i = exp(τ·d_i) / Σ_{j∈P} exp(τ·d_j) for correct i, 0 otherwise
    private static double[] CouplingWeights(double[] r, double[] d)
    {
        var total = d.Where((_, i) => r[i] == 1).Sum(x => Math.Exp(Tau * x));
        return [.. d.Select((x, i) => r[i] == 1 ? Math.Exp(Tau * x) / total : 0)];
    }
}
