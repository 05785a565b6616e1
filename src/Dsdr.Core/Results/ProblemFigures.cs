namespace Dsdr.Core.Results;

/// <summary>One benchmark figure: its metric key and value.</summary>
public sealed record FigureValue(MetricKey Key, double Value);

/// <summary>
/// A benchmark's evaluation figures from its problems' outcomes (spec §7), and the per-problem value behind each:
/// every figure is the mean of its per-problem values over the problems where that value is defined, so a figure
/// recomputed from any resample of the problems is the same function of the resample.
/// </summary>
public static class ProblemFigures
{
    /// <summary>
    /// The per-problem value of <paramref name="key"/>, null where it is not defined for this problem (a similarity with
    /// fewer than two correct answers, solutionsFound without a known solution count, a k the outcome has no samples for,
    /// a diversity figure not measured).
    /// </summary>
    public static double? Value(ProblemEvalOutcome o, MetricKey key) =>
        EvalMetrics.Registry.TryGet(key.Metric, out var metric) ? metric.Value(o, key.K) : null;

    /// <summary>
    /// The figures of one benchmark in the registry's order (<see cref="EvalMetrics.Registry"/>): Pass@1, Avg@k, pass@k for
    /// k = 1, 2, 4, …, n, distinct, then each of solutionsFound, the similarities and the diversity-temperature figures,
    /// each where at least one problem defines it.
    /// </summary>
    public static IReadOnlyList<FigureValue> Figures(IReadOnlyList<ProblemEvalOutcome> problems)
    {
        var keys = Keys(problems);
        var figures = new List<FigureValue>(keys.Count);
        foreach (var key in keys)
            if (Mean(problems, key) is { } mean) figures.Add(new FigureValue(key, mean));
        return figures;
    }

    /// <summary>The keys <see cref="Figures"/> reports for these problems: each metric at its reported ks, where some problem defines it.</summary>
    public static IReadOnlyList<MetricKey> Keys(IReadOnlyList<ProblemEvalOutcome> problems)
    {
        Validate(problems);
        var keys = new List<MetricKey>();
        foreach (var metric in EvalMetrics.Registry.All)
            foreach (var k in metric.ReportedKs(problems[0]))
            {
                var key = new MetricKey(metric.Name, k);
                if (problems.Any(p => Value(p, key) is not null)) keys.Add(key);
            }
        return keys;
    }

    // figure = (1/|Q_def|) Σ_{q ∈ Q_def} value_q   over the problems where value_q is defined; null when none is
    public static double? Mean(IReadOnlyList<ProblemEvalOutcome> problems, MetricKey key)
    {
        double sum = 0;
        var count = 0;
        foreach (var p in problems)
            if (Value(p, key) is { } v) { sum += v; count++; }
        return count == 0 ? null : sum / count;
    }

    /// <summary>Every problem of a benchmark's evaluation must be consistent and have the same sample counts.</summary>
    public static void Validate(IReadOnlyList<ProblemEvalOutcome> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (problems.Count == 0) throw new ArgumentException("No problems to aggregate: an evaluation needs at least one problem.", nameof(problems));
        var first = problems[0];
        foreach (var p in problems)
        {
            if (p.Problem() is { } problem) throw new ArgumentException($"Problem {p.Benchmark}/{p.ProblemId}: {problem}.", nameof(problems));
            if (p.Benchmark != first.Benchmark)
                throw new ArgumentException($"Problems of one benchmark expected; got {first.Benchmark} and {p.Benchmark}.", nameof(problems));
            if (p.AvgSamples != first.AvgSamples || p.PassKSamples != first.PassKSamples || p.DiversitySamples != first.DiversitySamples)
                throw new ArgumentException(
                    $"Every problem must have the same number of answers (Avg@k: {first.AvgSamples}, pass@k: {first.PassKSamples}, diversity: {first.DiversitySamples}); " +
                    $"problem {p.ProblemId} has {p.AvgSamples}, {p.PassKSamples}, {p.DiversitySamples}.", nameof(problems));
        }
        var duplicate = problems.GroupBy(p => p.ProblemId, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Problem {duplicate.Key} appears {duplicate.Count()} times; each problem once.", nameof(problems));
    }
}
