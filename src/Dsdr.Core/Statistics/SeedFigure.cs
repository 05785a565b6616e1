namespace Dsdr.Core.Statistics;

/// <summary>
/// One seed's value of a figure, as the bootstrap sees it: the mean of per-problem values over a benchmark's problems
/// (resampled in each replicate), a fixed value (no per-problem data: only its seed is resampled), or the mean of
/// several such figures (the across-benchmarks "Avg" column). Compared by reference: the bootstrap caches each
/// figure's replicate values.
/// </summary>
public abstract class SeedFigure
{
    private protected SeedFigure() { }

    /// <summary>The figure on the full problem set; NaN when no problem defines it.</summary>
    public abstract double Full { get; }

    /// <summary>Whether the figure changes when problems are resampled (false for a fixed value).</summary>
    public abstract bool OverProblems { get; }

    /// <summary>The figure on one replicate's resample of problem indices (per benchmark); NaN when the resample defines it nowhere.</summary>
    internal abstract double On(IReadOnlyList<int[]> resample);

    /// <summary>Throws when the figure refers to a benchmark the bootstrap does not have, or has the wrong number of problems.</summary>
    internal abstract void Check(IReadOnlyList<int> problemsPerBenchmark);

    /// <summary>figure = (1/|Q_def|) Σ_{q ∈ Q_def} v_q over the problems of <paramref name="benchmark"/> where v_q is defined (not null).</summary>
    public static SeedFigure OverProblemsOf(int benchmark, IReadOnlyList<double?> values) => new ProblemMean(benchmark, values);

    /// <summary>A value that is not resampled over problems (only its seed is).</summary>
    public static SeedFigure Fixed(double value) => new FixedValue(value);

    // Avg = (1/J) Σ_j figure_j   (undefined when any part is)
    public static SeedFigure Average(IReadOnlyList<SeedFigure> parts) => new MeanOfParts(parts);

    private sealed class ProblemMean : SeedFigure
    {
        private readonly int _benchmark;
        private readonly double[] _values;
        private readonly bool[] _defined;

        public ProblemMean(int benchmark, IReadOnlyList<double?> values)
        {
            ArgumentNullException.ThrowIfNull(values);
            ArgumentOutOfRangeException.ThrowIfNegative(benchmark);
            if (values.Count == 0) throw new ArgumentException("A figure over problems needs at least one problem.", nameof(values));
            _benchmark = benchmark;
            _values = [.. values.Select(v => v ?? 0)];
            _defined = [.. values.Select(v => v is not null)];
            foreach (var v in values)
                if (v is { } x && !double.IsFinite(x)) throw new ArgumentException($"Per-problem value {x} is not finite.", nameof(values));
            Full = Mean(Enumerable.Range(0, _values.Length));
        }

        public override double Full { get; }
        public override bool OverProblems => true;

        internal override double On(IReadOnlyList<int[]> resample) => Mean(resample[_benchmark]);

        private double Mean(IEnumerable<int> indices)
        {
            double sum = 0;
            var count = 0;
            foreach (var i in indices)
                if (_defined[i]) { sum += _values[i]; count++; }
            return count == 0 ? double.NaN : sum / count;
        }

        internal override void Check(IReadOnlyList<int> problemsPerBenchmark)
        {
            if (_benchmark >= problemsPerBenchmark.Count)
                throw new ArgumentException($"A figure refers to benchmark {_benchmark}, but the bootstrap has {problemsPerBenchmark.Count}.");
            if (_values.Length != problemsPerBenchmark[_benchmark])
                throw new ArgumentException($"A figure has {_values.Length} per-problem values for benchmark {_benchmark}, which has {problemsPerBenchmark[_benchmark]} problems.");
        }
    }

    private sealed class FixedValue(double value) : SeedFigure
    {
        public override double Full { get; } = double.IsFinite(value) ? value : throw new ArgumentException($"A fixed figure must be finite, got {value}.", nameof(value));
        public override bool OverProblems => false;
        internal override double On(IReadOnlyList<int[]> resample) => Full;
        internal override void Check(IReadOnlyList<int> problemsPerBenchmark) { }
    }

    private sealed class MeanOfParts : SeedFigure
    {
        private readonly SeedFigure[] _parts;

        public MeanOfParts(IReadOnlyList<SeedFigure> parts)
        {
            ArgumentNullException.ThrowIfNull(parts);
            if (parts.Count == 0) throw new ArgumentException("An average needs at least one figure.", nameof(parts));
            _parts = [.. parts];
            Full = _parts.Average(p => p.Full);
        }

        public override double Full { get; }
        public override bool OverProblems => _parts.Any(p => p.OverProblems);
        internal override double On(IReadOnlyList<int[]> resample) => _parts.Average(p => p.On(resample));

        internal override void Check(IReadOnlyList<int> problemsPerBenchmark)
        {
            foreach (var p in _parts) p.Check(problemsPerBenchmark);
        }
    }
}
