namespace Dsdr.Core.Method;

/// <summary>
/// The reward-side math of DSDR (spec §1–§3), one small pure function per formula.
/// Inputs are per-rollout arrays of one group in the same order; outputs keep that order.
/// "Correct" means r_i == 1 (binary rewards).
/// </summary>
public static class DsdrMath
{
    // e_ij = (1 − z̄_i·z̄_j) / 2   (G×G, symmetric; e_ii = 0 since z̄ are unit vectors)
    public static double[,] PairwiseDistances(IReadOnlyList<float[]> unitEmbeddings)
    {
        int g = unitEmbeddings.Count;
        var e = new double[g, g];
        for (int i = 0; i < g; i++)
        {
            for (int j = i + 1; j < g; j++)
                e[i, j] = e[j, i] = (1.0 - Dot(unitEmbeddings[i], unitEmbeddings[j])) / 2.0;
        }
        return e;
    }

    // z̄_i·z̄_j, accumulated in double
    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Vectors have different dimensions ({a.Length} and {b.Length}); embed every response with the same encoder.");
        double sum = 0;
        for (int k = 0; k < a.Length; k++) sum += (double)a[k] * b[k];
        return sum;
    }

    // D_emb(i) = 1/(G−1) · Σ_{j≠i} e_ij   (whole group; 0 for a group of one)
    public static double[] SemanticScores(double[,] distances)
    {
        int g = SquareSize(distances);
        var scores = new double[g];
        if (g < 2) return scores;
        for (int i = 0; i < g; i++)
        {
            double sum = 0;
            for (int j = 0; j < g; j++) if (j != i) sum += distances[i, j];
            scores[i] = sum / (g - 1);
        }
        return scores;
    }

    // D_emb(i) = 1/|P∖{i}| · Σ_{j∈P, j≠i} e_ij   (correct-only neighbours; 0 when P∖{i} = ∅)
    public static double[] SemanticScoresCorrectOnly(double[,] distances, IReadOnlyList<double> rewards)
    {
        int g = SquareSize(distances);
        RequireSameLength(g, rewards.Count, "distances", "rewards");
        var scores = new double[g];
        for (int i = 0; i < g; i++)
        {
            double sum = 0;
            int neighbours = 0;
            for (int j = 0; j < g; j++)
            {
                if (j == i || !IsCorrect(rewards[j])) continue;
                sum += distances[i, j];
                neighbours++;
            }
            scores[i] = neighbours == 0 ? 0.0 : sum / neighbours;
        }
        return scores;
    }

    // D_eq(i) = (1/|S_i|) · Σ_{f∈S_i} 1[f ∉ ∪_{j≠i} S_j],   0 when S_i = ∅
    public static double[] FormulaUniqueness(IReadOnlyList<IReadOnlySet<string>> formulaSets)
    {
        // f ∉ ∪_{j≠i} S_j  ⇔  f ∈ S_i and no other set holds f  ⇔  f occurs in exactly one set
        var setsHolding = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var set in formulaSets)
            foreach (var f in set)
                setsHolding[f] = setsHolding.GetValueOrDefault(f) + 1;

        var scores = new double[formulaSets.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            var set = formulaSets[i];
            if (set.Count == 0) continue;
            int unique = 0;
            foreach (var f in set) if (setsHolding[f] == 1) unique++;
            scores[i] = (double)unique / set.Count;
        }
        return scores;
    }

    // d_i = ½ · (D_emb(i) + D_eq(i))
    public static double[] Diversity(IReadOnlyList<double> semantic, IReadOnlyList<double> formula)
    {
        RequireSameLength(semantic.Count, formula.Count, "semantic", "formula");
        var d = new double[semantic.Count];
        for (int i = 0; i < d.Length; i++) d[i] = 0.5 * (semantic[i] + formula[i]);
        return d;
    }

    // d̄_i = clip(d_i, 0, σ_d)
    public static double[] Clip(IReadOnlyList<double> diversity, double sigmaD)
    {
        var clipped = new double[diversity.Count];
        for (int i = 0; i < clipped.Length; i++) clipped[i] = Math.Clamp(diversity[i], 0.0, sigmaD);
        return clipped;
    }

    // r̃_i = r_i + λ_d · d̄_i · 1[r_i = 1]
    public static double[] ShapedRewards(IReadOnlyList<double> rewards, IReadOnlyList<double> clipped, double lambdaD)
    {
        RequireSameLength(rewards.Count, clipped.Count, "rewards", "clipped");
        var shaped = new double[rewards.Count];
        for (int i = 0; i < shaped.Length; i++)
            shaped[i] = rewards[i] + (IsCorrect(rewards[i]) ? lambdaD * clipped[i] : 0.0);
        return shaped;
    }

    // A_i = (r̃_i − mean(r̃)) / (std(r̃) + ε)   sample std (N−1); A = 0 for a group of one
    public static double[] GroupAdvantages(IReadOnlyList<double> shapedRewards, double epsilon, bool stdNormalize = true)
    {
        int n = shapedRewards.Count;
        var advantages = new double[n];
        if (n < 2) return advantages;
        double mean = Mean(shapedRewards);
        double scale = stdNormalize ? SampleStd(shapedRewards, mean) + epsilon : 1.0;
        for (int i = 0; i < n; i++) advantages[i] = (shapedRewards[i] - mean) / scale;
        return advantages;
    }

    // w_i = exp(τ·d̄_i) / Σ_{j∈P} exp(τ·d̄_j) for i ∈ P = {r = 1};  w_i = 0 otherwise
    public static double[] CouplingWeights(IReadOnlyList<double> rewards, IReadOnlyList<double> clipped, double tau)
    {
        RequireSameLength(rewards.Count, clipped.Count, "rewards", "clipped");
        var weights = new double[rewards.Count];
        double max = double.NegativeInfinity;
        for (int i = 0; i < weights.Length; i++)
            if (IsCorrect(rewards[i])) max = Math.Max(max, tau * clipped[i]);
        if (double.IsNegativeInfinity(max)) return weights; // nobody correct: all zero

        double total = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            if (!IsCorrect(rewards[i])) continue;
            weights[i] = Math.Exp(tau * clipped[i] - max); // subtracting max keeps exp ≤ 1
            total += weights[i];
        }
        for (int i = 0; i < weights.Length; i++) weights[i] /= total;
        return weights;
    }

    // 1[r_i = 1]
    public static bool IsCorrect(double reward) => reward == 1.0;

    // mean(x) = (1/N) Σ x_i
    public static double Mean(IReadOnlyList<double> values)
    {
        double sum = 0;
        for (int i = 0; i < values.Count; i++) sum += values[i];
        return sum / values.Count;
    }

    // std(x) = sqrt( Σ (x_i − mean)² / (N − 1) )
    public static double SampleStd(IReadOnlyList<double> values, double mean)
    {
        double sq = 0;
        for (int i = 0; i < values.Count; i++) sq += (values[i] - mean) * (values[i] - mean);
        return Math.Sqrt(sq / (values.Count - 1));
    }

    private static int SquareSize(double[,] m)
    {
        if (m.GetLength(0) != m.GetLength(1))
            throw new ArgumentException($"The distance matrix must be G×G; it is {m.GetLength(0)}×{m.GetLength(1)}.", nameof(m));
        return m.GetLength(0);
    }

    private static void RequireSameLength(int a, int b, string nameA, string nameB)
    {
        if (a != b)
            throw new ArgumentException($"{nameA} has {a} entries but {nameB} has {b}; give one entry per rollout, in the same order.");
    }
}
