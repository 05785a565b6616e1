using Dsdr.Core.Method;
using PassAtKEstimator = Dsdr.Core.Metrics.PassAtK;

namespace Dsdr.Core.Results.Metrics;

/// <summary>The figures of the DSDR paper's tables (spec §7): accuracy (Pass@1, Avg@k, pass@k) and the diversity figures.</summary>
public static class BuiltInMetrics
{
    // the diversity-temperature figures exist only where eval.diversitySamples > 0
    private static IEnumerable<int?> WhenDiversityMeasured(Sweeps.EvalSpec eval) => eval.DiversitySamples > 0 ? [null] : [];

    [Registered(Order = 0)]
    public static EvalMetric Pass1 { get; } = new(EvalMetrics.Pass1, "Pass@1: one sample per problem at the Pass@1 temperature",
        // Pass@1_q = 1[the one rollout of q is correct]
        (o, k) => k is null ? (o.Pass1Correct ? 1 : 0) : null)
    { IsRate = true, TableRank = 0, Label = k => k is null ? "Pass@1" : null };

    [Registered(Order = 1)]
    public static EvalMetric AvgAtK { get; } = new(EvalMetrics.AvgAtK, "Avg@k: mean correctness of k samples",
        // Avg@k_q = c_q / k
        (o, k) => k == o.AvgSamples ? (double)o.AvgCorrect / o.AvgSamples : null)
    {
        TakesK = true, IsRate = true, TableRank = 1, Label = k => k is { } v ? $"Avg@{v}" : null,
        ReportedKs = o => [o.AvgSamples], EvaluatedKs = eval => [eval.AvgK],
    };

    [Registered(Order = 2)]
    public static EvalMetric PassAtK { get; } = new(EvalMetrics.PassAtK, "pass@k, the unbiased estimate from n samples",
        // pass@k_q = 1 − C(n−c, k) / C(n, k)
        (o, k) => k is { } v && v <= o.PassKSamples ? PassAtKEstimator.Estimate(o.PassKSamples, o.PassKCorrect, v) : null)
    {
        TakesK = true, IsRate = true, TableRank = 2, Label = k => k is { } v ? $"pass@{v}" : null,
        ReportedKs = o => PassAtKEstimator.CurveKs(o.PassKSamples).Select(k => (int?)k),
        EvaluatedKs = eval => PassAtKEstimator.CurveKs(eval.PassKSamples).Append(eval.PassKSamples).Distinct().Select(k => (int?)k),
    };

    [Registered(Order = 3)]
    public static EvalMetric DistinctCorrect { get; } = new(EvalMetrics.DistinctCorrect, "distinct correct solutions per problem among the pass@k samples",
        (o, k) => k is null ? o.DistinctCorrect : null);

    [Registered(Order = 4)]
    public static EvalMetric SolutionsFound { get; } = new(EvalMetrics.SolutionsFound, "share of a problem's existing solutions found (Countdown)",
        // found_q = distinct_q / existing_q
        (o, k) => k is null && o.ExistingSolutions is > 0 ? (double)o.DistinctCorrect / o.ExistingSolutions.Value : null)
    { IsRate = true };

    [Registered(Order = 5)]
    public static EvalMetric SemanticSimilarity { get; } = new(EvalMetrics.SemanticSimilarity, "mean pairwise semantic similarity of correct answers (lower = more diverse)",
        (o, k) => k is null ? o.SemanticSimilarity : null)
    { LowerIsBetter = true };

    [Registered(Order = 6)]
    public static EvalMetric FormulaSimilarity { get; } = new(EvalMetrics.FormulaSimilarity, "mean pairwise formula similarity of correct answers (lower = more diverse)",
        (o, k) => k is null ? o.FormulaSimilarity : null)
    { LowerIsBetter = true };

    [Registered(Order = 7)]
    public static EvalMetric DiversityDistinct { get; } = new(EvalMetrics.DiversityDistinct, "distinct correct solutions per problem at the diversity temperature",
        (o, k) => k is null && o.DiversitySamples > 0 ? o.DiversityDistinct : null)
    { Label = k => k is null ? "distinct (Tdiv)" : null, EvaluatedKs = WhenDiversityMeasured };

    [Registered(Order = 8)]
    public static EvalMetric DiversitySemanticSimilarity { get; } = new(EvalMetrics.DiversitySemanticSimilarity, "semantic similarity of correct answers at the diversity temperature (lower = more diverse)",
        (o, k) => k is null && o.DiversitySamples > 0 ? o.DiversitySemanticSimilarity : null)
    { LowerIsBetter = true, Label = k => k is null ? "semanticSimilarity (Tdiv)" : null, EvaluatedKs = WhenDiversityMeasured };

    [Registered(Order = 9)]
    public static EvalMetric DiversityFormulaSimilarity { get; } = new(EvalMetrics.DiversityFormulaSimilarity, "formula similarity of correct answers at the diversity temperature (lower = more diverse)",
        (o, k) => k is null && o.DiversitySamples > 0 ? o.DiversityFormulaSimilarity : null)
    { LowerIsBetter = true, Label = k => k is null ? "formulaSimilarity (Tdiv)" : null, EvaluatedKs = WhenDiversityMeasured };
}
