namespace Dsdr.Core.Metrics;

/// <summary>Accuracy metrics of spec §7: Avg@k and Pass@1 (pass@k is <see cref="PassAtK"/>).</summary>
public static class AccuracyMetrics
{
    // Avg@k = (1/k) Σ_i 1[o_i correct]   (k rollouts of one problem)
    public static double AvgAtK(IReadOnlyList<bool> correct)
    {
        RequireAny(correct, nameof(correct), "Avg@k needs at least one rollout");
        return (double)correct.Count(c => c) / correct.Count;
    }

    // Avg@k over a benchmark = (1/|Q|) Σ_q Avg@k(q)
    public static double AvgAtK(IReadOnlyList<IReadOnlyList<bool>> correctPerProblem)
    {
        RequireAny(correctPerProblem, nameof(correctPerProblem), "Avg@k needs at least one problem");
        return correctPerProblem.Average(AvgAtK);
    }

    // Pass@1 = (1/|Q|) Σ_q 1[the one rollout of q is correct]
    public static double PassAt1(IReadOnlyList<bool> firstRolloutCorrect)
    {
        RequireAny(firstRolloutCorrect, nameof(firstRolloutCorrect), "Pass@1 needs at least one problem");
        return (double)firstRolloutCorrect.Count(c => c) / firstRolloutCorrect.Count;
    }

    private static void RequireAny<T>(IReadOnlyList<T> items, string name, string why)
    {
        ArgumentNullException.ThrowIfNull(items, name);
        if (items.Count == 0) throw new ArgumentException($"{name} is empty: {why}.", name);
    }
}
