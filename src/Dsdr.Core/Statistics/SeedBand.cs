using MathNet.Numerics.Distributions;

namespace Dsdr.Core.Statistics;

/// <summary>A mean over seeds with its Student-t interval; <see cref="Low"/>/<see cref="High"/> are null with fewer than two seeds.</summary>
public sealed record SeedBandPoint(int Step, double Mean, double? Low, double? High, int N);

/// <summary>
/// Seed bands for curves over training steps (the dashboard's and the report's bands): at each step, the mean over the
/// seeds that reached it ± the Student-t half-width. A t interval, not a bootstrap: a curve point has only its seeds
/// (typically 3) to resample, and the bootstrap of 3 values cannot reach 95 % coverage, while t assumes only roughly
/// normal seed-to-seed variation.
/// </summary>
public static class SeedBand
{
    // mean ± t_{(1+L)/2, n−1} · s / √n,   s² = Σ(x − x̄)² / (n − 1)
    public static (double Mean, double? Low, double? High) Of(IReadOnlyList<double> values, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("A seed band needs at least one value.", nameof(values));
        if (!(level is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(level), level, "The level must lie in (0, 1), e.g. 0.95.");
        var mean = values.Average();
        if (values.Count < 2) return (mean, null, null);
        var s = Math.Sqrt(values.Sum(x => (x - mean) * (x - mean)) / (values.Count - 1));
        var half = TQuantile((1 + level) / 2, values.Count - 1) * s / Math.Sqrt(values.Count);
        return (mean, mean - half, mean + half);
    }

    /// <summary>The p-quantile of Student's t with <paramref name="degreesOfFreedom"/> degrees of freedom.</summary>
    public static double TQuantile(double p, int degreesOfFreedom) => StudentT.InvCDF(0, 1, degreesOfFreedom, p);

    /// <summary>
    /// The band of curves (one per seed: step → value): at every step some seed has, the mean and interval over the seeds
    /// that have it, in step order.
    /// </summary>
    public static IReadOnlyList<SeedBandPoint> OverSteps(IEnumerable<IReadOnlyDictionary<int, double>> curves, double level = 0.95)
    {
        ArgumentNullException.ThrowIfNull(curves);
        return [.. curves.SelectMany(c => c).GroupBy(kv => kv.Key).OrderBy(g => g.Key).Select(g =>
        {
            var values = g.Select(kv => kv.Value).ToList();
            var (mean, low, high) = Of(values, level);
            return new SeedBandPoint(g.Key, mean, low, high, values.Count);
        })];
    }
}
