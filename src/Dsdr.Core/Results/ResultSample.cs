using Dsdr.Core.Statistics;

namespace Dsdr.Core.Results;

/// <summary>
/// What a result table shows, as the bootstrap resamples it: per row (arm plus grid point, and the Backbone row) its
/// seeds, per seed the evaluations behind its figures, and the per-problem outcomes of those evaluations. Gives any
/// row's seed figures for any benchmark (or the across-benchmarks average) and metric, over problems where every
/// evaluation of the seed has its per-problem rows, else the stored figure (then only seeds are resampled).
/// </summary>
public sealed class ResultSample
{
    private readonly Dictionary<string, Dictionary<int, List<Figure>>> _units = new(StringComparer.Ordinal);
    private readonly Dictionary<(string TrialId, int Step, string Benchmark), List<ProblemEvalOutcome>> _problems = new();
    private readonly Dictionary<string, int> _benchmarkIndex = new(StringComparer.Ordinal);
    private readonly List<IReadOnlyList<string>> _problemIds = [];

    internal ResultSample(IReadOnlyList<(string Row, string Arm)> rows, IReadOnlyList<string> benchmarks, IEnumerable<Figure> units,
        IEnumerable<TrialProblemRecord> problems, BootstrapOptions options)
    {
        Rows = rows;
        Benchmarks = benchmarks;
        foreach (var f in units)
        {
            if (!_units.TryGetValue(f.Row, out var seeds)) _units[f.Row] = seeds = [];
            if (!seeds.TryGetValue(f.Seed, out var list)) seeds[f.Seed] = list = [];
            list.Add(f);
        }
        var used = _units.Values.SelectMany(s => s.Values).SelectMany(l => l).Select(f => (f.TrialId, f.Step)).ToHashSet();
        foreach (var p in problems)
        {
            if (!used.Contains((p.TrialId, p.Step))) continue;
            var key = (p.TrialId, p.Step, p.Outcome.Benchmark);
            if (!_problems.TryGetValue(key, out var list)) _problems[key] = list = [];
            list.Add(p.Outcome);
        }
        foreach (var b in benchmarks)
        {
            _benchmarkIndex[b] = _problemIds.Count;
            var ids = _problems.Where(kv => kv.Key.Benchmark == b).SelectMany(kv => kv.Value.Select(o => o.ProblemId)).Distinct().Order(StringComparer.Ordinal).ToList();
            _problemIds.Add(ids.Count > 0 ? ids : ["-"]); // a benchmark without rows: one placeholder (its figures are fixed)
        }
        Bootstrap = new ProblemSeedBootstrap([.. _problemIds.Select(ids => ids.Count)], options);
    }

    /// <summary>Rows in table order (label, arm).</summary>
    public IReadOnlyList<(string Row, string Arm)> Rows { get; }

    public IReadOnlyList<string> Benchmarks { get; }

    public ProblemSeedBootstrap Bootstrap { get; }

    /// <summary>Whether any evaluation in the table has per-problem rows.</summary>
    public bool HasProblems => _problems.Count > 0;

    /// <summary>The largest n every evaluation of every row has for pass@k on <paramref name="benchmark"/> (0 without per-problem rows).</summary>
    public int PassKSamples(string benchmark) =>
        _problems.Where(kv => kv.Key.Benchmark == benchmark).SelectMany(kv => kv.Value).Select(o => o.PassKSamples).DefaultIfEmpty(0).Min();

    /// <summary>A row's seed figures for a column (a benchmark or <see cref="ResultColumn.AverageBenchmark"/>); null when no seed has the figure.</summary>
    public IReadOnlyDictionary<int, SeedFigure>? Figures(string row, ResultColumn column)
    {
        if (!_units.TryGetValue(row, out var seeds)) return null;
        var result = new Dictionary<int, SeedFigure>();
        foreach (var (seed, figures) in seeds)
        {
            SeedFigure? figure;
            if (column.IsAverage)
            {
                var parts = Benchmarks.Select(b => Figure(figures, b, column.Metric)).ToList();
                figure = parts.All(p => p is not null) && parts.Count > 0 ? SeedFigure.Average(parts!) : null;
            }
            else figure = Figure(figures, column.Benchmark, column.Metric);
            if (figure is not null) result[seed] = figure;
        }
        return result.Count == 0 ? null : result;
    }

    /// <summary>The row label a reference names: a row label, an arm with exactly one row, or "backbone"; else why not.</summary>
    public (string? Row, string? Error) ResolveReference(string reference)
    {
        if (string.IsNullOrWhiteSpace(reference)) return (null, "is empty; name a row or an arm, e.g. grpo");
        if (Rows.Any(r => r.Row == reference)) return (reference, null);
        if (string.Equals(reference, ResultTable.BackboneArm, StringComparison.OrdinalIgnoreCase) && Rows.Any(r => r.Row == ResultTable.BackboneRow))
            return (ResultTable.BackboneRow, null);
        var ofArm = Rows.Where(r => r.Arm == reference).Select(r => r.Row).ToList();
        return ofArm.Count switch
        {
            1 => (ofArm[0], null),
            0 => (null, $"is not a row of this table; use one of {string.Join(", ", Rows.Select(r => $"\"{r.Row}\""))}"),
            _ => (null, $"is an arm with {ofArm.Count} rows; name one of {string.Join(", ", ofArm.Select(r => $"\"{r}\""))}"),
        };
    }

    // one seed's figure on one benchmark: over problems when every evaluation behind it has rows, else the mean stored figure
    private SeedFigure? Figure(List<Figure> figures, string benchmark, MetricKey metric)
    {
        var evaluations = figures.Where(f => f.Benchmark == benchmark).Select(f => (f.TrialId, f.Step)).Distinct().ToList();
        var stored = figures.Where(f => f.Benchmark == benchmark && f.Metric == metric).Select(f => f.Value).ToList();
        if (evaluations.Count > 0 && evaluations.All(e => _problems.ContainsKey((e.TrialId, e.Step, benchmark))))
        {
            var index = _benchmarkIndex[benchmark];
            var lists = evaluations.Select(e => (IReadOnlyList<ProblemEvalOutcome>)_problems[(e.TrialId, e.Step, benchmark)]).ToList();
            if (OutcomeFigures.Of(index, _problemIds[index], lists, metric) is { } overProblems) return overProblems;
        }
        return stored.Count == 0 ? null : SeedFigure.Fixed(stored.Average());
    }
}
