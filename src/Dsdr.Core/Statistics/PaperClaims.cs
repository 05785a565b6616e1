using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Statistics;

/// <summary>What a measured difference says about a claimed direction.</summary>
public enum Verdict
{
    /// <summary>The 95 % interval excludes 0 on the claimed side.</summary>
    Shown,
    /// <summary>The interval contains 0 (or there is none): the data neither show nor contradict the claim.</summary>
    NotShown,
    /// <summary>The interval excludes 0 on the opposite side.</summary>
    Contradicted,
    /// <summary>The sweep lacks a row or figure the claim needs.</summary>
    NotTestable,
}

/// <summary>One checked claim: the comparison, the metric, the measured Δ (row − reference) with its interval and p, the verdict.</summary>
public sealed record ClaimCheck(string Claim, string Row, string Reference, string Metric, int ClaimedSign, Difference? Delta, Verdict Verdict, string? Note = null);

/// <summary>
/// The paper's claims as directional comparisons between rows of a sweep, each judged by one rule on the paired bootstrap
/// difference Δ = row − reference: shown when the interval excludes 0 in the claimed direction, contradicted when it
/// excludes 0 in the opposite direction, else not shown (docs/STATISTICS.md).
/// </summary>
public static class PaperClaims
{
    // shown: sign·CI excludes 0 on the claimed side; contradicted: on the other side; else not shown
    public static Verdict Judge(Difference? delta, int claimedSign)
    {
        if (claimedSign is not (1 or -1)) throw new ArgumentOutOfRangeException(nameof(claimedSign), claimedSign, "A claimed direction is +1 or −1.");
        if (delta?.CiLow is not { } low || delta.CiHigh is not { } high) return Verdict.NotShown;
        var (lo, hi) = claimedSign > 0 ? (low, high) : (-high, -low);
        return lo > 0 ? Verdict.Shown : hi < 0 ? Verdict.Contradicted : Verdict.NotShown;
    }

    /// <summary>
    /// The claims on <paramref name="sample"/>'s <paramref name="benchmark"/> (or the across-benchmarks average):
    /// DSDR ≥ GRPO on Pass@1 and Avg@k; the pass@k gap widens with k; diversity kept (distinct and semantic similarity
    /// at the diversity temperature when measured, vs GRPO and vs the backbone); removing GD hurts; removing GC hurts.
    /// <paramref name="dsdrRow"/>: the DSDR row (default: the first row of arm dsdr).
    /// </summary>
    public static IReadOnlyList<ClaimCheck> Check(ResultSample sample, string benchmark, int avgK, string? dsdrRow = null)
    {
        ArgumentNullException.ThrowIfNull(sample);
        string? RowOf(string arm) => sample.Rows.FirstOrDefault(r => r.Arm == arm).Row;
        var dsdr = dsdrRow ?? RowOf(ArmPresets.Dsdr);
        var grpo = RowOf(ArmPresets.Grpo);
        var backbone = sample.Rows.Any(r => r.Row == ResultTable.BackboneRow) ? ResultTable.BackboneRow : null;
        var n = sample.PassKSamples(benchmark);
        var diversityDistinct = Has(sample, dsdr, benchmark, new MetricKey(EvalMetrics.DiversityDistinct))
            ? new MetricKey(EvalMetrics.DiversityDistinct) : new MetricKey(EvalMetrics.DistinctCorrect);
        var diversitySimilarity = Has(sample, dsdr, benchmark, new MetricKey(EvalMetrics.DiversitySemanticSimilarity))
            ? new MetricKey(EvalMetrics.DiversitySemanticSimilarity) : new MetricKey(EvalMetrics.SemanticSimilarity);

        var checks = new List<ClaimCheck>
        {
            Compare(sample, "DSDR ≥ GRPO on Pass@1", dsdr, grpo, benchmark, new MetricKey(EvalMetrics.Pass1), +1),
            Compare(sample, $"DSDR ≥ GRPO on Avg@{avgK}", dsdr, grpo, benchmark, new MetricKey(EvalMetrics.AvgAtK, avgK), +1),
            Widening(sample, dsdr, grpo, benchmark, n),
            Compare(sample, "Diversity kept: DSDR finds more distinct correct solutions than GRPO", dsdr, grpo, benchmark, diversityDistinct, +1),
            Compare(sample, "Diversity kept: DSDR's correct answers are less similar than GRPO's", dsdr, grpo, benchmark, diversitySimilarity, -1),
            Compare(sample, "Diversity kept: DSDR keeps the backbone's distinct correct solutions", dsdr, backbone, benchmark, diversityDistinct, +1,
                "kept = not below the backbone; a CI containing 0 is consistent with kept but is not shown by the rule"),
            Compare(sample, "Diversity kept: DSDR's correct answers are no more similar than the backbone's", dsdr, backbone, benchmark, diversitySimilarity, -1,
                "kept = not above the backbone; a CI containing 0 is consistent with kept but is not shown by the rule"),
            Compare(sample, $"Removing GD hurts (Avg@{avgK})", dsdr, RowOf(ArmPresets.DsdrNoGd), benchmark, new MetricKey(EvalMetrics.AvgAtK, avgK), +1),
            Compare(sample, $"Removing GC hurts (Avg@{avgK})", dsdr, RowOf(ArmPresets.DsdrNoGc), benchmark, new MetricKey(EvalMetrics.AvgAtK, avgK), +1),
        };
        if (n > 0)
        {
            checks.Add(Compare(sample, $"Removing GD hurts (pass@{n})", dsdr, RowOf(ArmPresets.DsdrNoGd), benchmark, new MetricKey(EvalMetrics.PassAtK, n), +1));
            checks.Add(Compare(sample, $"Removing GC hurts (pass@{n})", dsdr, RowOf(ArmPresets.DsdrNoGc), benchmark, new MetricKey(EvalMetrics.PassAtK, n), +1));
        }
        return checks;
    }

    /// <summary>A claim about a training curve: Δ over seeds of one value per seed (e.g. the mean entropy over the last steps).</summary>
    public static ClaimCheck CompareSeeds(ProblemSeedBootstrap bootstrap, string claim, string row, IReadOnlyDictionary<int, double>? rowValues,
        string reference, IReadOnlyDictionary<int, double>? referenceValues, string metric, int claimedSign)
    {
        if (rowValues is not { Count: > 0 } || referenceValues is not { Count: > 0 })
            return new ClaimCheck(claim, row, reference, metric, claimedSign, null, Verdict.NotTestable, "a row has no such curve");
        var delta = bootstrap.Difference(row, rowValues.ToDictionary(kv => kv.Key, kv => SeedFigure.Fixed(kv.Value)),
            reference, referenceValues.ToDictionary(kv => kv.Key, kv => SeedFigure.Fixed(kv.Value)));
        return new ClaimCheck(claim, row, reference, metric, claimedSign, delta, Judge(delta, claimedSign));
    }

    private static ClaimCheck Compare(ResultSample sample, string claim, string? row, string? reference, string benchmark, MetricKey metric, int sign, string? note = null)
    {
        if (row is null || reference is null)
            return new ClaimCheck(claim, row ?? "dsdr", reference ?? "?", metric.ToString(), sign, null, Verdict.NotTestable, "the sweep has no such row");
        var column = new ResultColumn(benchmark, metric);
        if (sample.Figures(row, column) is not { } a || sample.Figures(reference, column) is not { } b)
            return new ClaimCheck(claim, row, reference, metric.ToString(), sign, null, Verdict.NotTestable, $"no {metric} figure");
        var delta = sample.Bootstrap.Difference(row, a, reference, b);
        return new ClaimCheck(claim, row, reference, metric.ToString(), sign, delta, Judge(delta, sign), note);
    }

    private static ClaimCheck Widening(ResultSample sample, string? row, string? reference, string benchmark, int n)
    {
        const string claim = "The pass@k gap widens with k (Δpass@n − Δpass@1 > 0)";
        if (row is null || reference is null || n < 2)
            return new ClaimCheck(claim, row ?? "dsdr", reference ?? "?", "pass@n − pass@1", +1, null, Verdict.NotTestable,
                n < 2 ? "no per-problem pass@k rows" : "the sweep has no such row");
        var curve = PassAtKDeltas.Curve(sample.Bootstrap, benchmark, n, row, k => sample.Figures(row, new ResultColumn(benchmark, PassAtKDeltas.Key(k))),
            reference, k => sample.Figures(reference, new ResultColumn(benchmark, PassAtKDeltas.Key(k))));
        var note = curve.SmallestSignificantK is { } k ? $"smallest significant k: {k}" : "no k with a significant Δpass@k";
        return new ClaimCheck(claim, row, reference, $"pass@{n} − pass@1", +1, curve.Widening, Judge(curve.Widening, +1), note);
    }

    private static bool Has(ResultSample sample, string? row, string benchmark, MetricKey metric) =>
        row is not null && sample.Figures(row, new ResultColumn(benchmark, metric)) is not null;
}
