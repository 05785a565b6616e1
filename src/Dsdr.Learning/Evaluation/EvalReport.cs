using Dsdr.Core.Results;

namespace Dsdr.Learning.Evaluation;

/// <summary>
/// One number of an evaluation: <see cref="Metric"/> is a <see cref="Dsdr.Core.Results.EvalMetrics"/> name
/// ("pass1", "avg", "pass", "distinct", "solutionsFound", "semanticSimilarity", "formulaSimilarity"); <see cref="K"/>
/// is k for Avg@k and pass@k, null otherwise.
/// </summary>
public sealed record EvalFigure(string Benchmark, string Metric, int? K, double Value);

/// <summary>
/// The figures of one evaluation at training step <see cref="Step"/>, how long it took, and the per-problem outcomes
/// the figures are the means of (<see cref="Dsdr.Core.Results.ProblemFigures"/>; empty when an evaluation reports none).
/// </summary>
public sealed record EvalReport(int Step, IReadOnlyList<EvalFigure> Figures, double Seconds, IReadOnlyList<ProblemEvalOutcome>? Problems = null)
{
    /// <summary>The per-problem outcomes of every benchmark (empty when none were reported).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<ProblemEvalOutcome> ProblemOutcomes => Problems ?? [];

    /// <summary>The value of <paramref name="metric"/> (at <paramref name="k"/>) on <paramref name="benchmark"/>; null when not reported.</summary>
    public double? Find(string benchmark, string metric, int? k = null) =>
        Figures.FirstOrDefault(f => f.Benchmark == benchmark && f.Metric == metric && f.K == k)?.Value;
}

/// <summary>
/// How the <see cref="Evaluator"/> generates.
/// </summary>
/// <param name="MaxNewTokens">Tokens per answer; null = what the model's context leaves after the longest prompt, at most <see cref="DefaultMaxNewTokensCap"/>
/// (a character Countdown model with context 32 and prompts like "3 5 8=64:" gets ~20).</param>
/// <param name="MaxRowsPerBatch">Upper bound on sequences generated in one batch (prompts × samples); problems are cut into chunks under it.</param>
/// <param name="StopStrings">Extra strings that end an answer (EOS always does).</param>
public sealed record EvalOptions(int? MaxNewTokens = null, int MaxRowsPerBatch = 4096, IReadOnlyList<string>? StopStrings = null)
{
    public const int DefaultMaxNewTokensCap = 1024;

    public static EvalOptions Default { get; } = new();
}
