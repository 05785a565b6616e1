using System.Text;
using Dsdr.Core.Tasks;

namespace Dsdr.Core.Statistics;

/// <summary>How the bootstrap runs: replicates, its seed, the interval level (significance at 1 − level).</summary>
public sealed record BootstrapOptions
{
    public const int DefaultReplicates = 2000;
    public const ulong DefaultSeed = 20260213;

    public int Replicates { get; init; } = DefaultReplicates;
    public ulong Seed { get; init; } = DefaultSeed;
    /// <summary>Coverage of the percentile intervals (0.95: the 2.5 % and 97.5 % quantiles); a difference is significant when p &lt; 1 − level.</summary>
    public double Level { get; init; } = 0.95;

    /// <summary>The significance level, 1 − <see cref="Level"/>.</summary>
    public double Alpha => 1 - Level;

    public static BootstrapOptions Default { get; } = new();

    /// <summary>Throws naming the bad setting.</summary>
    public BootstrapOptions Validated()
    {
        if (Replicates is < 10 or > 1_000_000) throw new ArgumentOutOfRangeException(nameof(Replicates), Replicates, "The bootstrap needs 10 to 1,000,000 replicates (default 2000).");
        if (!(Level is > 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(Level), Level, "The interval level must lie in (0, 1), e.g. 0.95.");
        return this;
    }
}

/// <summary>A cell's uncertainty: its mean over seeds with a percentile interval and the bootstrap standard error (null where nothing varies).</summary>
public sealed record Estimate(double Mean, double? CiLow, double? CiHigh, double? StandardError, int Seeds);

/// <summary>
/// A paired difference (or any contrast) against a reference: mean, percentile interval, two-sided bootstrap p-value,
/// and whether p &lt; α. <paramref name="Paired"/>: computed over the seeds both sides have (false: the sides share no seed and
/// were resampled independently). CI and p are null where nothing varies (one shared seed and no per-problem data).
/// </summary>
public sealed record Difference(double Mean, double? CiLow, double? CiHigh, double? P, bool Significant, int Seeds, bool Paired);

/// <summary>One term of a contrast: <paramref name="Weight"/> × the figure of row <paramref name="RowKey"/> (its seeds → figure).</summary>
public sealed record ContrastTerm(double Weight, string RowKey, IReadOnlyDictionary<int, SeedFigure> Seeds);

/// <summary>
/// The seeded bootstrap of the result tables (docs/STATISTICS.md). Replicate b draws, per benchmark, |Q| problem indices
/// with replacement, one draw shared by every row and figure; per row, its seeds with replacement; for a paired difference,
/// the seeds both rows have, one draw shared by both. A cell's replicate is the mean over its drawn seeds of each seed's
/// figure on the drawn problems; a difference's is the mean over the drawn shared seeds of the per-seed difference.
/// Every draw comes from a generator keyed by (seed, replicate, what is drawn), so a cell's interval does not depend on
/// which other cells are computed, and the same inputs and seed give the same numbers on every machine.
/// </summary>
public sealed class ProblemSeedBootstrap
{
    private readonly IReadOnlyList<int> _problems;
    private readonly int[][][] _resamples; // [replicate][benchmark][i]
    private readonly Dictionary<SeedFigure, double[]> _replicates = new(ReferenceEqualityComparer.Instance);

    /// <param name="problemsPerBenchmark">How many problems each benchmark has (figures refer to benchmarks by index).</param>
    public ProblemSeedBootstrap(IReadOnlyList<int> problemsPerBenchmark, BootstrapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(problemsPerBenchmark);
        if (problemsPerBenchmark.Any(n => n < 1)) throw new ArgumentException("Every benchmark needs at least one problem.", nameof(problemsPerBenchmark));
        Options = (options ?? BootstrapOptions.Default).Validated();
        _problems = [.. problemsPerBenchmark];
        _resamples = new int[Options.Replicates][][];
        for (var b = 0; b < Options.Replicates; b++)
        {
            _resamples[b] = new int[_problems.Count][];
            for (var j = 0; j < _problems.Count; j++)
            {
                var rng = Random("problems", b, j.ToString(System.Globalization.CultureInfo.InvariantCulture));
                var n = _problems[j];
                var draw = new int[n];
                for (var i = 0; i < n; i++) draw[i] = rng.Next(0, n - 1);
                _resamples[b][j] = draw;
            }
        }
    }

    public BootstrapOptions Options { get; }

    /// <summary>A row's cell: mean over its seeds of each seed's full figure, and the bootstrap interval over problems and seeds.</summary>
    public Estimate Estimate(string rowKey, IReadOnlyDictionary<int, SeedFigure> seeds)
    {
        var figures = Ordered(seeds, nameof(seeds));
        var mean = figures.Average(f => f.Figure.Full);
        if (figures.Count == 1 && !figures[0].Figure.OverProblems) return new Estimate(mean, null, null, null, 1);
        var replicates = new double[Options.Replicates];
        for (var b = 0; b < replicates.Length; b++)
        {
            var rng = Random("seeds", b, rowKey);
            double sum = 0;
            for (var i = 0; i < figures.Count; i++) sum += ReplicatesOf(figures[rng.Next(0, figures.Count - 1)].Figure)[b];
            replicates[b] = sum / figures.Count;
        }
        var (low, high) = Interval(replicates);
        return new Estimate(mean, low, high, StandardDeviation(replicates), figures.Count);
    }

    /// <summary>row − reference, paired by seed (the seeds both have) when they share any, else from independent seed draws.</summary>
    public Difference Difference(string rowKey, IReadOnlyDictionary<int, SeedFigure> row, string referenceKey, IReadOnlyDictionary<int, SeedFigure> reference) =>
        Contrast([new ContrastTerm(1, rowKey, row), new ContrastTerm(-1, referenceKey, reference)]);

    /// <summary>
    /// Σ_t w_t · figure_t: over the seeds every term has (one shared draw per replicate, keyed by the rows), or, when the
    /// terms share no seed, Σ_t w_t · (mean over row t's own seed draw).
    /// </summary>
    public Difference Contrast(IReadOnlyList<ContrastTerm> terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        if (terms.Count == 0) throw new ArgumentException("A contrast needs at least one term.", nameof(terms));
        var ordered = terms.Select(t => (t.Weight, t.RowKey, Figures: Ordered(t.Seeds, nameof(terms)))).ToList();
        var shared = ordered.Select(t => t.Figures.Select(f => f.Seed)).Aggregate((a, b) => a.Intersect(b)).Order().ToList();
        var replicates = new double[Options.Replicates];
        double mean;
        bool varies;
        if (shared.Count > 0)
        {
            var bySeed = ordered.Select(t => (t.Weight, Figures: t.Figures.ToDictionary(f => f.Seed, f => f.Figure))).ToList();
            var perSeed = shared.Select(s => bySeed.Select(t => (t.Weight, Figure: t.Figures[s])).ToArray()).ToArray();
            mean = perSeed.Average(terms => terms.Sum(t => t.Weight * t.Figure.Full));
            varies = shared.Count > 1 || perSeed[0].Any(t => t.Figure.OverProblems);
            var key = string.Join("|", ordered.Select(t => t.RowKey).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
            for (var b = 0; varies && b < replicates.Length; b++)
            {
                var rng = Random("pairs", b, key);
                double sum = 0;
                for (var i = 0; i < perSeed.Length; i++)
                    foreach (var (weight, figure) in perSeed[rng.Next(0, perSeed.Length - 1)]) sum += weight * ReplicatesOf(figure)[b];
                replicates[b] = sum / perSeed.Length;
            }
        }
        else
        {
            mean = ordered.Sum(t => t.Weight * t.Figures.Average(f => f.Figure.Full));
            varies = true;
            for (var b = 0; b < replicates.Length; b++)
            {
                double total = 0;
                foreach (var (weight, rowKey, figures) in ordered)
                {
                    var rng = Random("seeds", b, rowKey);
                    double sum = 0;
                    for (var i = 0; i < figures.Count; i++) sum += ReplicatesOf(figures[rng.Next(0, figures.Count - 1)].Figure)[b];
                    total += weight * sum / figures.Count;
                }
                replicates[b] = total;
            }
        }
        var seeds = shared.Count > 0 ? shared.Count : ordered.Min(t => t.Figures.Count);
        if (!varies) return new Difference(mean, null, null, null, false, seeds, Paired: true);
        var (low, high) = Interval(replicates);
        var p = PValue(replicates);
        return new Difference(mean, low, high, p, p is { } pv && pv < Options.Alpha, seeds, shared.Count > 0);
    }

    /// <summary>The figure's value in every replicate (NaN where the resample defines it nowhere); computed once per figure.</summary>
    internal double[] ReplicatesOf(SeedFigure figure)
    {
        lock (_replicates)
        {
            if (_replicates.TryGetValue(figure, out var cached)) return cached;
        }
        figure.Check(_problems);
        var values = new double[Options.Replicates];
        for (var b = 0; b < values.Length; b++) values[b] = figure.On(_resamples[b]);
        lock (_replicates) _replicates[figure] = values;
        return values;
    }

    private static List<(int Seed, SeedFigure Figure)> Ordered(IReadOnlyDictionary<int, SeedFigure> seeds, string name)
    {
        ArgumentNullException.ThrowIfNull(seeds, name);
        if (seeds.Count == 0) throw new ArgumentException("A row needs at least one seed's figure.", name);
        var list = seeds.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value ?? throw new ArgumentException($"Seed {kv.Key} has no figure.", name))).ToList();
        if (list.Any(f => double.IsNaN(f.Item2.Full))) throw new ArgumentException("Every seed's figure must be defined on the full problem set.", name);
        return list;
    }

    /// <summary>The (1 − level)/2 and (1 + level)/2 quantiles of the defined replicates; null when none is defined.</summary>
    private (double? Low, double? High) Interval(double[] replicates)
    {
        var sorted = replicates.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0) return (null, null);
        return (Quantile(sorted, (1 - Options.Level) / 2), Quantile(sorted, (1 + Options.Level) / 2));
    }

    // Q(p) = x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌊h⌋+1) − x_(⌊h⌋)),  h = (N − 1)·p   (Hyndman–Fan type 7, 0-based order statistics)
    public static double Quantile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) throw new ArgumentException("No values to take a quantile of.", nameof(sorted));
        var h = (sorted.Count - 1) * p;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    // p = min(1, 2 · min(1 + #{Δ*_b ≤ 0}, 1 + #{Δ*_b ≥ 0}) / (B + 1))   over the defined replicates
    public static double? PValue(IReadOnlyList<double> replicates)
    {
        int below = 0, above = 0, count = 0;
        foreach (var x in replicates)
        {
            if (!double.IsFinite(x)) continue;
            count++;
            if (x <= 0) below++;
            if (x >= 0) above++;
        }
        if (count == 0) return null;
        return Math.Min(1.0, 2.0 * (Math.Min(below, above) + 1) / (count + 1));
    }

    // SE = sqrt(Σ(x_b − x̄)² / (B − 1)) over the defined replicates
    private static double? StandardDeviation(double[] replicates)
    {
        var xs = replicates.Where(double.IsFinite).ToArray();
        if (xs.Length < 2) return null;
        var mean = xs.Average();
        return Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Length - 1));
    }

    /// <summary>A generator for one draw: SplitMix64 seeded with FNV-1a of "purpose|replicate|key" mixed with the bootstrap's seed.</summary>
    private SeededRandom Random(string purpose, int replicate, string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes($"{purpose}|{replicate}|{key}"))
            hash = (hash ^ b) * 1099511628211UL;
        return new SeededRandom(hash ^ (Options.Seed * 0x9E3779B97F4A7C15UL));
    }
}
