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
/// <param name="Pass1Correct">Whether the single low-temperature rollout is correct.</param>
/// <param name="AvgAnswers">The k rollouts at the Avg@k temperature.</param>
/// <param name="PassKAnswers">The n rollouts for pass@k and the diversity figures (may be the same list as <paramref name="AvgAnswers"/>).</param>
/// <param name="ExistingSolutions">How many distinct solutions the problem has, when the task knows.</param>
public sealed record ProblemAnswers(bool Pass1Correct, IReadOnlyList<ScoredAnswer> AvgAnswers, IReadOnlyList<ScoredAnswer> PassKAnswers, int? ExistingSolutions);

/// <summary>
/// Turns verified rollouts into the figures of spec §7 — pure, no model. Every figure is a mean over problems;
/// the diversity figures use the pass@k rollouts.
/// </summary>
public static class EvalAggregation
{
    public static IReadOnlyList<EvalFigure> Figures(string benchmark, IReadOnlyList<ProblemAnswers> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (problems.Count == 0) throw new ArgumentException("No problems to aggregate: an evaluation needs at least one problem.", nameof(problems));
        var k = problems[0].AvgAnswers.Count;
        var n = problems[0].PassKAnswers.Count;
        if (k == 0 || n == 0) throw new ArgumentException("Every problem needs at least one Avg@k and one pass@k answer.", nameof(problems));
        if (problems.Any(p => p.AvgAnswers.Count != k || p.PassKAnswers.Count != n))
            throw new ArgumentException($"Every problem must have the same number of answers (Avg@k: {k}, pass@k: {n}).", nameof(problems));

        var figures = new List<EvalFigure>
        {
            new(benchmark, EvalMetrics.Pass1, null, AccuracyMetrics.PassAt1([.. problems.Select(p => p.Pass1Correct)])),
            new(benchmark, EvalMetrics.AvgAtK, k, AccuracyMetrics.AvgAtK([.. problems.Select(p => (IReadOnlyList<bool>)[.. p.AvgAnswers.Select(a => a.Correct)])])),
        };
        var outcomes = problems.Select(p => new ProblemOutcome(n, p.PassKAnswers.Count(a => a.Correct))).ToList();
        figures.AddRange(PassAtK.CurveOverProblems(outcomes).Select(point => new EvalFigure(benchmark, EvalMetrics.PassAtK, point.K, point.Value)));

        var distinct = problems.Select(p => DistinctCorrect(p.PassKAnswers)).ToList();
        figures.Add(new(benchmark, EvalMetrics.DistinctCorrect, null, distinct.Average()));

        // found = (1/|Q_known|) Σ_q distinct_q / existing_q   over problems whose solution count is known
        var found = problems.Zip(distinct).Where(x => x.First.ExistingSolutions is > 0).Select(x => (double)x.Second / x.First.ExistingSolutions!.Value).ToList();
        if (found.Count > 0) figures.Add(new(benchmark, EvalMetrics.SolutionsFound, null, found.Average()));

        if (MeanOverProblems(problems, SemanticSimilarity) is double semantic)
            figures.Add(new(benchmark, EvalMetrics.SemanticSimilarity, null, semantic));
        if (MeanOverProblems(problems, FormulaSimilarity) is double formula)
            figures.Add(new(benchmark, EvalMetrics.FormulaSimilarity, null, formula));
        return figures;
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

    // mean over the problems where the per-problem figure is defined; null when it is defined for none
    private static double? MeanOverProblems(IReadOnlyList<ProblemAnswers> problems, Func<IReadOnlyList<ScoredAnswer>, double?> figure)
    {
        var values = problems.Select(p => figure(p.PassKAnswers)).OfType<double>().ToList();
        return values.Count == 0 ? null : values.Average();
    }
}
