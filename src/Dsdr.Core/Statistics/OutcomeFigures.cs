using Dsdr.Core.Results;

namespace Dsdr.Core.Statistics;

/// <summary>Per-problem outcomes as the bootstrap's <see cref="SeedFigure"/>s.</summary>
public static class OutcomeFigures
{
    /// <summary>
    /// One seed's figure over the benchmark's problems: v_q = the mean, over the seed's evaluations that define it, of
    /// <see cref="ProblemFigures.Value"/>(o_q, key) (one evaluation for an arm's trial; several for the Backbone row, whose
    /// trials of one seed share the backbone), null where none does. Null when no problem defines the figure.
    /// </summary>
    /// <param name="problemIds">The benchmark's problems in the bootstrap's order (outcomes are matched by id).</param>
    public static SeedFigure? Of(int benchmark, IReadOnlyList<string> problemIds, IReadOnlyList<IReadOnlyList<ProblemEvalOutcome>> evaluations, MetricKey key)
    {
        ArgumentNullException.ThrowIfNull(problemIds);
        ArgumentNullException.ThrowIfNull(evaluations);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < problemIds.Count; i++) index[problemIds[i]] = i;
        var sums = new double[problemIds.Count];
        var counts = new int[problemIds.Count];
        foreach (var evaluation in evaluations)
            foreach (var o in evaluation)
            {
                if (!index.TryGetValue(o.ProblemId, out var q))
                    throw new ArgumentException($"Problem {o.Benchmark}/{o.ProblemId} is not among the benchmark's {problemIds.Count} problems.", nameof(evaluations));
                if (ProblemFigures.Value(o, key) is not { } v) continue;
                sums[q] += v;
                counts[q]++;
            }
        if (counts.All(c => c == 0)) return null;
        return SeedFigure.OverProblemsOf(benchmark, [.. sums.Zip(counts, (s, c) => c == 0 ? (double?)null : s / c)]);
    }
}
