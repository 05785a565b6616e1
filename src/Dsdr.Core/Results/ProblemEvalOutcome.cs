namespace Dsdr.Core.Results;

/// <summary>
/// How one evaluation went on one held-out problem: the per-problem counts behind a benchmark's figures
/// (<see cref="ProblemFigures"/> turns a benchmark's outcomes into its figures), kept so a bootstrap can resample problems.
/// </summary>
/// <param name="Pass1Correct">Whether the single low-temperature rollout (Pass@1) is correct.</param>
/// <param name="AvgSamples">k, the Avg@k rollouts; <paramref name="AvgCorrect"/> of them correct.</param>
/// <param name="PassKSamples">n, the pass@k rollouts; <paramref name="PassKCorrect"/> of them correct.</param>
/// <param name="DistinctCorrect">Distinct correct solutions among the pass@k rollouts.</param>
/// <param name="ExistingSolutions">How many distinct solutions the problem has, when the task knows.</param>
/// <param name="SemanticSimilarity">Mean pairwise cosine of the correct pass@k rollouts' embeddings; null with fewer than 2 embedded correct ones.</param>
/// <param name="FormulaSimilarity">Mean pairwise Jaccard of the correct pass@k rollouts' formula sets; null when undefined.</param>
/// <param name="DiversitySamples">Rollouts at the diversity temperature (eval.diversityTemperature); 0 when not measured.</param>
/// <param name="DiversityCorrect">How many of those were correct.</param>
/// <param name="DiversityDistinct">Distinct correct solutions among them.</param>
/// <param name="DiversitySemanticSimilarity">Their correct ones' mean pairwise semantic similarity (null when undefined).</param>
/// <param name="DiversityFormulaSimilarity">Their correct ones' mean pairwise formula similarity (null when undefined).</param>
public sealed record ProblemEvalOutcome(
    string Benchmark,
    string ProblemId,
    bool Pass1Correct,
    int AvgSamples,
    int AvgCorrect,
    int PassKSamples,
    int PassKCorrect,
    int DistinctCorrect,
    int? ExistingSolutions,
    double? SemanticSimilarity,
    double? FormulaSimilarity,
    int DiversitySamples = 0,
    int DiversityCorrect = 0,
    int DiversityDistinct = 0,
    double? DiversitySemanticSimilarity = null,
    double? DiversityFormulaSimilarity = null)
{
    /// <summary>Null when the outcome is consistent; else what is wrong, naming the field.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(Benchmark)) return "benchmark is empty";
        if (string.IsNullOrWhiteSpace(ProblemId)) return "problem id is empty";
        if (AvgSamples < 1 || AvgCorrect < 0 || AvgCorrect > AvgSamples) return $"Avg@k counts {AvgCorrect} of {AvgSamples} are not 0 ≤ c ≤ k, k ≥ 1";
        if (PassKSamples < 1 || PassKCorrect < 0 || PassKCorrect > PassKSamples) return $"pass@k counts {PassKCorrect} of {PassKSamples} are not 0 ≤ c ≤ n, n ≥ 1";
        if (DistinctCorrect < 0 || DistinctCorrect > PassKCorrect) return $"distinct correct {DistinctCorrect} is not in [0, {PassKCorrect}]";
        if (ExistingSolutions is < 0) return $"existing solutions {ExistingSolutions} is negative";
        if (DiversitySamples < 0 || DiversityCorrect < 0 || DiversityCorrect > DiversitySamples) return $"diversity counts {DiversityCorrect} of {DiversitySamples} are not 0 ≤ c ≤ n";
        if (DiversityDistinct < 0 || DiversityDistinct > DiversityCorrect) return $"diversity distinct {DiversityDistinct} is not in [0, {DiversityCorrect}]";
        foreach (var (name, value) in new[] { ("semantic similarity", SemanticSimilarity), ("formula similarity", FormulaSimilarity),
                     ("diversity semantic similarity", DiversitySemanticSimilarity), ("diversity formula similarity", DiversityFormulaSimilarity) })
            if (value is { } v && !double.IsFinite(v)) return $"{name} is {v}";
        return null;
    }
}

/// <summary>A problem outcome of one trial's evaluation at one step: the per-problem input of the result statistics.</summary>
public sealed record TrialProblemRecord(string TrialId, int Step, ProblemEvalOutcome Outcome);
