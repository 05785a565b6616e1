using Dsdr.Core.Results;

namespace Dsdr.Core.Statistics;

/// <summary>Δpass@k of a row against the reference at one k, with its interval and p-value.</summary>
public sealed record PassAtKDeltaPoint(int K, Difference Delta);

/// <summary>
/// Δpass@k(row − reference) for k = 1 … K on one benchmark (or the across-benchmarks average), the smallest k where the
/// difference is significant (null: none is), and the widening Δpass@K − Δpass@1 with its interval (the paper's Fig. 3
/// claim that the gap grows with k).
/// </summary>
public sealed record PassAtKDeltaCurve(string Row, string Reference, string Benchmark, IReadOnlyList<PassAtKDeltaPoint> Points, int? SmallestSignificantK,
    Difference? Widening);

/// <summary>A row's pass@k figures: its seeds' figures for pass@k (null where the row has no such figure).</summary>
public delegate IReadOnlyDictionary<int, SeedFigure>? PassAtKFigures(int k);

public static class PassAtKDeltas
{
    /// <summary>Every k from 1 to <paramref name="maxK"/> (the smallest n of both rows' pass@k samples), each k one paired bootstrap difference.</summary>
    public static PassAtKDeltaCurve Curve(ProblemSeedBootstrap bootstrap, string benchmark, int maxK,
        string row, PassAtKFigures rowFigures, string reference, PassAtKFigures referenceFigures)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxK, 1);
        var points = new List<PassAtKDeltaPoint>();
        var figures = new List<(int K, IReadOnlyDictionary<int, SeedFigure> Row, IReadOnlyDictionary<int, SeedFigure> Reference)>();
        for (var k = 1; k <= maxK; k++)
        {
            if (rowFigures(k) is not { } a || referenceFigures(k) is not { } r) continue;
            figures.Add((k, a, r));
            points.Add(new PassAtKDeltaPoint(k, bootstrap.Difference(row, a, reference, r)));
        }
        var smallest = points.FirstOrDefault(p => p.Delta.Significant)?.K;
        Difference? widening = null;
        if (figures.Count >= 2)
        {
            var (first, last) = (figures[0], figures[^1]);
            // (Δpass@K − Δpass@1) = (row@K − ref@K) − (row@1 − ref@1), paired over the same seed and problem draws
            widening = bootstrap.Contrast([new(1, row, last.Row), new(-1, reference, last.Reference), new(-1, row, first.Row), new(1, reference, first.Reference)]);
        }
        return new PassAtKDeltaCurve(row, reference, benchmark, points, smallest, widening);
    }

    /// <summary>The pass@k key of <paramref name="k"/>.</summary>
    public static MetricKey Key(int k) => new(EvalMetrics.PassAtK, k);
}
