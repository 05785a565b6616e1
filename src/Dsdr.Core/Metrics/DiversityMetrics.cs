using Dsdr.Core.Method;

namespace Dsdr.Core.Metrics;

/// <summary>Diversity metrics of the paper's training curves: mean pairwise semantic and formula similarity, distinct correct solutions.</summary>
public static class DiversityMetrics
{
    // sem-sim = (2 / (G(G−1))) Σ_{i<j} z̄_i·z̄_j
    public static double MeanPairwiseSemanticSimilarity(IReadOnlyList<float[]> unitEmbeddings)
    {
        ArgumentNullException.ThrowIfNull(unitEmbeddings);
        if (unitEmbeddings.Count < 2)
            throw new ArgumentException($"Semantic similarity needs at least 2 responses; got {unitEmbeddings.Count}.", nameof(unitEmbeddings));
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < unitEmbeddings.Count; i++)
            for (int j = i + 1; j < unitEmbeddings.Count; j++, pairs++)
                sum += DsdrMath.Dot(unitEmbeddings[i], unitEmbeddings[j]);
        return sum / pairs;
    }

    // J(A, B) = |A ∩ B| / |A ∪ B|;   J(∅, B≠∅) = 0;   J(∅, ∅) undefined (null)
    public static double? Jaccard(IReadOnlySet<string> a, IReadOnlySet<string> b)
    {
        if (a.Count == 0 && b.Count == 0) return null;
        var (small, large) = a.Count <= b.Count ? (a, b) : (b, a);
        int common = small.Count(large.Contains);
        return (double)common / (a.Count + b.Count - common);
    }

    // formula-sim = mean of J(S_i, S_j) over pairs i<j where S_i ∪ S_j ≠ ∅; null when no pair has a formula.
    // A pair of two formula-free responses carries no evidence either way, so it is left out of the mean
    // rather than counted as 0 (dissimilar) or 1 (identical).
    public static double? MeanPairwiseFormulaSimilarity(IReadOnlyList<IReadOnlySet<string>> formulaSets)
    {
        ArgumentNullException.ThrowIfNull(formulaSets);
        if (formulaSets.Count < 2)
            throw new ArgumentException($"Formula similarity needs at least 2 responses; got {formulaSets.Count}.", nameof(formulaSets));
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < formulaSets.Count; i++)
            for (int j = i + 1; j < formulaSets.Count; j++)
                if (Jaccard(formulaSets[i], formulaSets[j]) is double jac) { sum += jac; pairs++; }
        return pairs == 0 ? null : sum / pairs;
    }

    // distinct = |{ key_i : o_i correct, key_i ≠ null }|   (ordinal key comparison)
    public static int DistinctCorrectSolutions(IReadOnlyList<bool> correct, IReadOnlyList<string?> solutionKeys)
    {
        ArgumentNullException.ThrowIfNull(correct);
        ArgumentNullException.ThrowIfNull(solutionKeys);
        if (correct.Count != solutionKeys.Count)
            throw new ArgumentException($"correct has {correct.Count} entries but solutionKeys has {solutionKeys.Count}; give one per response.", nameof(solutionKeys));
        var distinct = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < correct.Count; i++)
            if (correct[i] && solutionKeys[i] is string key) distinct.Add(key);
        return distinct.Count;
    }
}
