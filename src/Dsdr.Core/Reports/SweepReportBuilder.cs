using System.Globalization;
using Dsdr.Core.Results;
using Dsdr.Core.Runs;
using Dsdr.Core.Statistics;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Reports;

/// <summary>A trial as the report sees it: where it sits in the table and how far it got.</summary>
public sealed record ReportTrial(string TrialId, string Arm, string Row, int Seed, TrialStatus Status);

/// <summary>
/// What a report is computed from: the result table's inputs exactly as the results API builds them (records at the chosen
/// step plus step 0, their per-problem rows, the table options), every evaluation of every trial (for curves over evaluation
/// steps), the trials' training curves, and the sweep's spec (rows' grid points for λ sensitivity).
/// </summary>
public sealed record SweepReportInputs
{
    public required string SweepId { get; init; }
    public required string Name { get; init; }
    public string Status { get; init; } = "";
    /// <summary>The sweep's spec; null when the stored one does not parse (no spec summary, no λ sensitivity).</summary>
    public SweepSpec? Spec { get; init; }
    public required IReadOnlyList<ReportTrial> Trials { get; init; }
    public required IReadOnlyList<TrialEvalRecord> TableRecords { get; init; }
    public IReadOnlyList<TrialProblemRecord> TableProblems { get; init; } = [];
    /// <summary>The table's options; <see cref="ResultTableOptions.Metrics"/> null: <see cref="SweepReportBuilder.DefaultMetrics"/>.</summary>
    public required ResultTableOptions TableOptions { get; init; }
    /// <summary>"final" or "best:&lt;benchmark&gt;:&lt;metric@k&gt;": how <see cref="TableRecords"/> were chosen.</summary>
    public string Step { get; init; } = "final";
    public IReadOnlyList<TrialEvalRecord> Evaluations { get; init; } = [];
    public IReadOnlyList<TrialCurve> Curves { get; init; } = [];
    public string? PlatformCommit { get; init; }
    /// <summary>Fraction of a trial's steps at its end whose mean entropy is its late-training entropy.</summary>
    public double LateWindow { get; init; } = SeedCurves.DefaultLateWindow;
    /// <summary>At most this many points per training curve (longer curves are averaged in step windows).</summary>
    public int MaxCurvePoints { get; init; } = 200;
}

/// <summary>Computes a <see cref="SweepReport"/> (pure): the table, curves with bands, Δpass@k, λ sensitivity and the claims.</summary>
public static class SweepReportBuilder
{
    /// <summary>The hyper-parameters a λ-sensitivity figure is drawn against, in this order.</summary>
    public static IReadOnlyList<string> LambdaAxes { get; } = ["lambdaD", "lambdaL", "tau"];

    /// <summary>Evaluation figures drawn over evaluation steps.</summary>
    public static IReadOnlyList<string> EvaluationCurveMetrics { get; } = [EvalMetrics.DistinctCorrect, EvalMetrics.DiversityDistinct];

    public static SweepReport Build(SweepReportInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var notes = new List<string>();
        var metrics = inputs.TableOptions.Metrics ?? DefaultMetrics(inputs.TableRecords);
        var table = ResultTableBuilder.Build(inputs.TableRecords, inputs.TableOptions with { Metrics = metrics }, inputs.TableProblems);
        var sample = ResultTableBuilder.Sample(inputs.TableRecords, inputs.TableOptions with { Metrics = null }, inputs.TableProblems);
        var reference = table.Statistics?.Reference;
        if (table.Rows.Count == 0) notes.Add("No trial has an evaluation after step 0 yet: the table is empty and no claim is testable.");
        if (reference is null)
            notes.Add($"The sweep has no row \"{inputs.TableOptions.Statistics?.Reference ?? ResultStatisticsOptions.DefaultReference}\": no Δ in the table and no Δpass@k figure.");
        if (table.Rows.Count > 0 && !sample.HasProblems)
            notes.Add("No evaluation has per-problem rows: intervals resample seeds only, and pass@k is drawn at the stored k only.");

        var rows = RowOrder(sample, inputs.Trials);
        var passFigures = new Dictionary<(string Row, string Benchmark, int K), IReadOnlyDictionary<int, SeedFigure>?>();
        IReadOnlyDictionary<int, SeedFigure>? PassFigures(string row, string benchmark, int k)
        {
            if (!passFigures.TryGetValue((row, benchmark, k), out var figures))
                passFigures[(row, benchmark, k)] = figures = sample.Figures(row, new ResultColumn(benchmark, PassAtKDeltas.Key(k)));
            return figures;
        }
        var passAtK = new List<PassAtKCurve>();
        var deltas = new List<PassAtKDeltaCurve>();
        foreach (var benchmark in sample.Benchmarks)
        {
            var ks = PassKs(sample, benchmark, inputs.TableRecords);
            if (ks.Count == 0) continue;
            foreach (var (row, arm) in sample.Rows)
            {
                var points = ks.Select(k => PassFigures(row, benchmark, k) is { } f ? Estimate(sample.Bootstrap.Estimate(row, f), k) : null)
                    .OfType<PassAtKEstimate>().ToList();
                if (points.Count > 0) passAtK.Add(new PassAtKCurve(benchmark, row, arm, points));
            }
            if (reference is null) continue;
            foreach (var (row, _) in sample.Rows.Where(r => r.Row != reference))
            {
                var curve = PassAtKDeltas.Curve(sample.Bootstrap, benchmark, ks[^1], row, k => PassFigures(row, benchmark, k), reference,
                    k => PassFigures(reference, benchmark, k));
                if (curve.Points.Count > 0) deltas.Add(curve);
            }
        }

        var claims = Claims(inputs, sample, metrics);
        var header = new ReportHeader(inputs.SweepId, inputs.Name, inputs.Spec?.Description, inputs.Status,
            inputs.Spec is null ? null : SpecSummary.Of(inputs.Spec),
            inputs.Spec?.Arms ?? [.. inputs.Trials.Select(t => t.Arm).Distinct()], [.. rows.Select(r => r.Row)],
            inputs.Spec?.Seeds ?? [.. inputs.Trials.Select(t => t.Seed).Distinct().Order()], inputs.Trials.Count,
            inputs.Trials.Count(t => t.Status == TrialStatus.Completed), sample.Benchmarks, inputs.Step, reference, inputs.LateWindow, inputs.PlatformCommit);
        return new SweepReport(header, table, TableQuery(metrics, inputs.Step, reference), passAtK, deltas,
            TrainingCurves(inputs, rows), EvaluationCurves(inputs, rows), Lambda(inputs.Spec, table, reference), claims, notes);
    }

    /// <summary>
    /// The report table's default columns, those the sweep's evaluations have: Pass@1, Avg@k and pass@n (the largest k of
    /// each), distinct correct and semantic similarity, and both again at the diversity temperature.
    /// </summary>
    public static IReadOnlyList<MetricKey> DefaultMetrics(IEnumerable<TrialEvalRecord> records)
    {
        var present = records.Select(r => new MetricKey(r.Metric, r.K)).ToHashSet();
        MetricKey? Largest(string metric) => present.Where(m => m.Metric == metric).MaxBy(m => m.K);
        return [.. new[]
        {
            new MetricKey(EvalMetrics.Pass1), Largest(EvalMetrics.AvgAtK), Largest(EvalMetrics.PassAtK), new MetricKey(EvalMetrics.DistinctCorrect),
            new MetricKey(EvalMetrics.SemanticSimilarity), new MetricKey(EvalMetrics.DiversityDistinct), new MetricKey(EvalMetrics.DiversitySemanticSimilarity),
        }.OfType<MetricKey>().Where(present.Contains)];
    }

    /// <summary>The results-API query of the same table: "metric=…&amp;step=…[&amp;reference=…]".</summary>
    public static string TableQuery(IReadOnlyList<MetricKey> metrics, string step, string? reference) =>
        $"metric={Uri.EscapeDataString(string.Join(',', metrics))}&step={Uri.EscapeDataString(step)}" +
        (reference is null ? "" : $"&reference={Uri.EscapeDataString(reference)}");

    // every k from 1 to n when per-problem rows give any k; else the k's stored
    private static List<int> PassKs(ResultSample sample, string benchmark, IEnumerable<TrialEvalRecord> records)
    {
        var n = sample.PassKSamples(benchmark);
        if (n > 0) return [.. Enumerable.Range(1, n)];
        return [.. records.Where(r => r.Benchmark == benchmark && r.Metric == EvalMetrics.PassAtK && r.K is not null).Select(r => r.K!.Value).Distinct().Order()];
    }

    private static PassAtKEstimate Estimate(Estimate e, int k) => new(k, e.Mean, e.CiLow, e.CiHigh, e.Seeds);

    /// <summary>Rows in table order (the Backbone left out: it does not train), then rows of trials the table does not have yet.</summary>
    private static List<(string Row, string Arm)> RowOrder(ResultSample sample, IReadOnlyList<ReportTrial> trials)
    {
        var rows = sample.Rows.Where(r => r.Row != ResultTable.BackboneRow).ToList();
        foreach (var t in trials)
            if (!rows.Any(r => r.Row == t.Row)) rows.Add((t.Row, t.Arm));
        return rows;
    }

    private static List<CurvePanel> TrainingCurves(SweepReportInputs inputs, List<(string Row, string Arm)> rows)
    {
        var panels = new List<CurvePanel>();
        foreach (var name in TrainingCurveNames.All)
        {
            var curves = inputs.Curves.Where(c => c.Name == name && c.Points.Count > 0).ToDictionary(c => c.TrialId);
            if (curves.Count == 0) continue;
            var width = SeedCurves.BinWidth(curves.Values.Max(c => c.Points.Max(p => p.Step)), inputs.MaxCurvePoints);
            var bands = rows.Select(r =>
            {
                var seeds = inputs.Trials.Where(t => t.Row == r.Row && curves.ContainsKey(t.TrialId)).Select(t => SeedCurves.Binned(curves[t.TrialId].Points, width)).ToList();
                return new RowBand(r.Row, r.Arm, seeds.Count, SeedBand.OverSteps(seeds));
            }).Where(b => b.Seeds > 0).ToList();
            panels.Add(new CurvePanel(name, TrainingCurveNames.Label(name), null, width, bands));
        }
        return panels;
    }

    private static List<CurvePanel> EvaluationCurves(SweepReportInputs inputs, List<(string Row, string Arm)> rows)
    {
        var panels = new List<CurvePanel>();
        foreach (var benchmark in inputs.Evaluations.Select(e => e.Benchmark).Distinct().Order(StringComparer.Ordinal))
            foreach (var metric in EvaluationCurveMetrics)
            {
                var figures = inputs.Evaluations.Where(e => e.Benchmark == benchmark && e.Metric == metric && e.K is null).ToLookup(e => e.TrialId);
                if (figures.Count == 0) continue;
                var bands = rows.Select(r =>
                {
                    var seeds = inputs.Trials.Where(t => t.Row == r.Row && figures.Contains(t.TrialId))
                        .Select(t => (IReadOnlyDictionary<int, double>)figures[t.TrialId].GroupBy(e => e.Step).ToDictionary(g => g.Key, g => g.First().Value)).ToList();
                    return new RowBand(r.Row, r.Arm, seeds.Count, SeedBand.OverSteps(seeds));
                }).Where(b => b.Seeds > 0).ToList();
                panels.Add(new CurvePanel(metric, new MetricKey(metric).Label, benchmark, 1, bands));
            }
        return panels;
    }

    private static List<ReportClaim> Claims(SweepReportInputs inputs, ResultSample sample, IReadOnlyList<MetricKey> metrics)
    {
        var avgK = inputs.TableRecords.Where(r => r.Metric == EvalMetrics.AvgAtK).Select(r => r.K).Max()
                   ?? metrics.FirstOrDefault(m => m.Metric == EvalMetrics.AvgAtK)?.K ?? inputs.Spec?.Eval.AvgK ?? new EvalSpec().AvgK;
        IReadOnlyList<string> benchmarks = sample.Benchmarks.Count > 0 ? sample.Benchmarks : inputs.Spec?.Task.BenchmarkNames ?? [];
        var claims = benchmarks.SelectMany(b => PaperClaims.Check(sample, b, avgK).Select(c => ReportClaim.Of(c, b))).ToList();
        claims.Add(ReportClaim.Of(EntropyClaim(inputs, sample), null));
        return claims;
    }

    /// <summary>The claim text of the entropy comparison.</summary>
    public const string EntropyClaimText = "Entropy does not collapse: DSDR's late-training entropy is above GRPO's";

    /// <summary>
    /// DSDR's late-training entropy against GRPO's, paired by seed (<see cref="PaperClaims.CompareSeeds"/>): each trial's value
    /// is <see cref="SeedCurves.LateMean"/> of its entropy curve; rows as <see cref="PaperClaims.Check"/> picks them.
    /// </summary>
    private static ClaimCheck EntropyClaim(SweepReportInputs inputs, ResultSample sample)
    {
        string? RowOf(string arm) => sample.Rows.FirstOrDefault(r => r.Arm == arm).Row ?? inputs.Trials.FirstOrDefault(t => t.Arm == arm)?.Row;
        var metric = $"{TrainingCurveNames.Entropy}, mean over each trial's last {(inputs.LateWindow * 100).ToString("0.#", CultureInfo.InvariantCulture)} % of steps";
        var (dsdr, grpo) = (RowOf(ArmPresets.Dsdr), RowOf(ArmPresets.Grpo));
        if (dsdr is null || grpo is null)
            return new ClaimCheck(EntropyClaimText, dsdr ?? ArmPresets.Dsdr, grpo ?? ArmPresets.Grpo, metric, +1, null, Verdict.NotTestable,
                $"the sweep has no {(dsdr is null ? ArmPresets.Dsdr : ArmPresets.Grpo)} row");
        var entropy = inputs.Curves.Where(c => c.Name == TrainingCurveNames.Entropy).ToDictionary(c => c.TrialId);
        IReadOnlyDictionary<int, double> LateValues(string row) => inputs.Trials
            .Where(t => t.Row == row && entropy.ContainsKey(t.TrialId))
            .Select(t => (t.Seed, Value: SeedCurves.LateMean(entropy[t.TrialId].Points, inputs.LateWindow)))
            .Where(x => x.Value is not null).ToDictionary(x => x.Seed, x => x.Value!.Value);
        var check = PaperClaims.CompareSeeds(sample.Bootstrap, EntropyClaimText, dsdr, LateValues(dsdr), grpo, LateValues(grpo), metric, +1);
        return check.Verdict == Verdict.NotTestable ? check : check with { Note = "seeds only: one late-training value per trial" };
    }

    private static LambdaSensitivity Lambda(SweepSpec? spec, ResultTable table, string? reference)
    {
        var axes = spec?.Grid.Select(a => a.Key).Where(LambdaAxes.Contains).ToList() ?? [];
        if (axes.Count == 0)
            return new LambdaSensitivity([], [], "The sweep has no λ grid (its grid varies none of λd, λℓ, τ): no λ-sensitivity figure.");
        var points = SweepExpander.Expand(spec!).GroupBy(t => t.Row).ToDictionary(g => g.Key, g => g.First().GridPoint);
        var avgK = table.Columns.Where(c => c.Metric.Metric == EvalMetrics.AvgAtK).Select(c => c.Metric.K).Max();
        var passN = table.Columns.Where(c => c.Metric.Metric == EvalMetrics.PassAtK).Select(c => c.Metric.K).Max();
        var columns = table.Columns.Where(c => !c.IsAverage && (c.Metric == new MetricKey(EvalMetrics.AvgAtK, avgK) || c.Metric == new MetricKey(EvalMetrics.PassAtK, passN))).ToList();
        var panels = new List<SensitivityPanel>();
        foreach (var axis in axes)
        {
            var parameter = HyperParameters.Get(axis);
            foreach (var column in columns)
            {
                var series = table.Rows
                    .Where(r => points.TryGetValue(r.Row, out var p) && p.Any(a => a.Key == axis) && table[r.Row, column] is not null)
                    .Select(r => (r.Arm, r.Row, Point: points[r.Row], Cell: table[r.Row, column]!))
                    .GroupBy(x => (x.Arm, Fixed: string.Join(" ", x.Point.Where(a => a.Key != axis).Select(a => $"{HyperParameters.Get(a.Key).Label}={HyperParameters.Get(a.Key).Format(a.Value)}"))))
                    .Select(g => new SensitivitySeries(g.Key.Arm, g.Key.Fixed, [.. g
                        .Select(x => new SensitivityPoint(Convert.ToDouble(x.Point.First(a => a.Key == axis).Value, CultureInfo.InvariantCulture), x.Row,
                            x.Cell.Mean, x.Cell.CiLow, x.Cell.CiHigh, x.Cell.N))
                        .OrderBy(p => p.X)]))
                    .ToList();
                if (series.Count == 0) continue;
                SensitivityReference? referencePoint = reference is not null && table[reference, column] is { } cell
                                                   && !(points.TryGetValue(reference, out var rp) && rp.Any(a => a.Key == axis))
                    ? new SensitivityReference(reference, cell.Mean, cell.CiLow, cell.CiHigh, cell.N) : null;
                panels.Add(new SensitivityPanel(axis, parameter.Label, column.Benchmark, column.Metric.ToString(), column.Metric.Label, series, referencePoint));
            }
        }
        return new LambdaSensitivity(axes, panels, panels.Count == 0 ? "The sweep's λ grid has no evaluated rows yet." : null);
    }
}
