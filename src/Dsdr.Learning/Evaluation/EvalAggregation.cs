using Dsdr.Core.Metrics;
using Dsdr.Core.Results;

namespace Dsdr.Learning.Evaluation;

/// <summary>One verified evaluation answer.</summary>
/// <param name="Correct">r(o) = 1.</param>
/// <param name="SolutionKey">The task's key of the solution when correct (equal for rewrites of one solution), else null.</param>
/// <param name="Formulas">S(o), the formula set of the answer (empty when incorrect: similarities are over correct answers).</param>
/// <param name="Embedding">Unit embedding z̄ of a correct answer when an embedder ran, else null.</param>
public sealed record ScoredAnswer(bool Correct, string? SolutionKey, IReadOnlySet<string> Formulas, float[]? Embedding = null);

/// <summary>The evaluation rollouts of one problem, verified.</summary>
/// <param name="ProblemId">The problem's id within its benchmark.</param>
/// <param name="Pass1Correct">Whether the single low-temperature rollout is correct.</param>
/// <param name="AvgAnswers">The k rollouts at the Avg@k temperature.</param>
/// <param name="PassKAnswers">The n rollouts for pass@k and the diversity figures (may be the same list as <paramref name="AvgAnswers"/>).</param>
/// <param name="ExistingSolutions">How many distinct solutions the problem has, when the task knows.</param>
/// <param name="DiversityAnswers">The rollouts at the diversity temperature (may be the same list as <paramref name="PassKAnswers"/>); null when not measured.</param>
public sealed record ProblemAnswers(string ProblemId, bool Pass1Correct, IReadOnlyList<ScoredAnswer> AvgAnswers, IReadOnlyList<ScoredAnswer> PassKAnswers,
    int? ExistingSolutions, IReadOnlyList<ScoredAnswer>? DiversityAnswers = null);

/// <summary>
/// Turns verified rollouts into per-problem outcomes and the figures of spec §7 — pure, no model. Every figure is
/// Core's <see cref="ProblemFigures"/> over the outcomes, so it is the mean of the per-problem rows; the
/// eval-temperature diversity figures use the pass@k rollouts, the "diversity…" ones the diversity-temperature rollouts.
/// </summary>
public static class EvalAggregation
{
    public static IReadOnlyList<EvalFigure> Figures(string benchmark, IReadOnlyList<ProblemAnswers> problems) =>
        Figures(Outcomes(benchmark, problems));

    /// <summary>The figures of one benchmark's outcomes, named as the evaluator reports them.</summary>
    public static IReadOnlyList<EvalFigure> Figures(IReadOnlyList<ProblemEvalOutcome> outcomes) =>
        [.. ProblemFigures.Figures(outcomes).Select(f => new EvalFigure(outcomes[0].Benchmark, f.Key.Metric, f.Key.K, f.Value))];

    /// <summary>One outcome per problem: the counts and per-problem diversity figures behind the benchmark's figures.</summary>
    public static IReadOnlyList<ProblemEvalOutcome> Outcomes(string benchmark, IReadOnlyList<ProblemAnswers> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (problems.Count == 0) throw new ArgumentException("No problems to aggregate: an evaluation needs at least one problem.", nameof(problems));
        var k = problems[0].AvgAnswers.Count;
        var n = problems[0].PassKAnswers.Count;
        var d = problems[0].DiversityAnswers?.Count ?? 0;
        if (k == 0 || n == 0) throw new ArgumentException("Every problem needs at least one Avg@k and one pass@k answer.", nameof(problems));
        if (problems.Any(p => p.AvgAnswers.Count != k || p.PassKAnswers.Count != n || (p.DiversityAnswers?.Count ?? 0) != d))
            throw new ArgumentException($"Every problem must have the same number of answers (Avg@k: {k}, pass@k: {n}, diversity: {d}).", nameof(problems));
        var outcomes = problems.Select(p =>
        {
            var diversity = p.DiversityAnswers ?? [];
            return new ProblemEvalOutcome(benchmark, p.ProblemId, p.Pass1Correct,
                k, p.AvgAnswers.Count(a => a.Correct), n, p.PassKAnswers.Count(a => a.Correct),
                DistinctCorrect(p.PassKAnswers), p.ExistingSolutions, SemanticSimilarity(p.PassKAnswers), FormulaSimilarity(p.PassKAnswers),
                diversity.Count, diversity.Count(a => a.Correct), DistinctCorrect(diversity),
                diversity.Count == 0 ? null : SemanticSimilarity(diversity), diversity.Count == 0 ? null : FormulaSimilarity(diversity));
        }).ToList();
        ProblemFigures.Validate(outcomes);
        return outcomes;
    }

    // distinct_q = |{ key_i : o_i correct }|
    public static int DistinctCorrect(IReadOnlyList<ScoredAnswer> answers) =>
        DiversityMetrics.DistinctCorrectSolutions([.. answers.Select(a => a.Correct)], [.. answers.Select(a => a.SolutionKey)]);

    // sem-sim_q = mean_{i<j} z̄_i·z̄_j over the correct answers of q; null with fewer than 2 embedded correct answers
    public static double? SemanticSimilarity(IReadOnlyList<ScoredAnswer> answers)
    {
        var embeddings = answers.Where(a => a.Correct && a.Embedding is not null).Select(a => a.Embedding!).ToList();
        return embeddings.Count < 2 ? null : DiversityMetrics.MeanPairwiseSemanticSimilarity(embeddings);
    }

    // formula-sim_q = mean_{i<j} J(S_i, S_j) over the correct answers of q; null with fewer than 2 correct answers or no formulas
    public static double? FormulaSimilarity(IReadOnlyList<ScoredAnswer> answers)
    {
        var sets = answers.Where(a => a.Correct).Select(a => a.Formulas).ToList();
        return sets.Count < 2 ? null : DiversityMetrics.MeanPairwiseFormulaSimilarity(sets);
    }
}
