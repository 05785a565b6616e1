using Dsdr.Core.Results;
using Dsdr.Core.Statistics;

namespace Dsdr.Core.Reports;

/// <summary>
/// Everything `dsdr report` draws and states about one sweep, computed with Core's statistics (docs/STATISTICS.md):
/// the paper-style table (the results API's document for <see cref="TableQuery"/>), pass@k curves with 95 % bootstrap
/// bands, Δpass@k against the reference row, training and evaluation curves with seed bands, λ sensitivity, and each of the
/// paper's claims with its measured Δ and verdict. The REST API serves it as JSON; the CLI renders it.
/// </summary>
/// <param name="TableQuery">The results-API query whose table this is, e.g. "metric=pass1,avg@16&amp;step=final&amp;reference=grpo".</param>
/// <param name="Notes">What the report could not show and why (no reference row, no per-problem rows, …).</param>
public sealed record SweepReport(
    ReportHeader Header,
    ResultTable Table,
    string TableQuery,
    IReadOnlyList<PassAtKCurve> PassAtK,
    IReadOnlyList<PassAtKDeltaCurve> PassAtKDeltas,
    IReadOnlyList<CurvePanel> TrainingCurves,
    IReadOnlyList<CurvePanel> EvaluationCurves,
    LambdaSensitivity Lambda,
    IReadOnlyList<ReportClaim> Claims,
    IReadOnlyList<string> Notes);

/// <summary>What the sweep is: its spec in one line, its arms, rows and seeds, how far it got, and how the table was chosen.</summary>
/// <param name="Spec">The spec in one line (task, model, RL settings, grid, evaluation); null when the stored spec does not parse.</param>
/// <param name="Step">The evaluation step the table uses: "final" or "best:&lt;benchmark&gt;:&lt;metric@k&gt;".</param>
/// <param name="Reference">The row every Δ is against; null when the sweep has no such row.</param>
/// <param name="LateWindow">Fraction of a trial's last steps whose mean entropy is its late-training entropy (0.1: the last 10 %).</param>
/// <param name="PlatformCommit">The commit the serving platform was built from, when its build says.</param>
public sealed record ReportHeader(
    string SweepId, string Name, string? Description, string Status, string? Spec, IReadOnlyList<string> Arms, IReadOnlyList<string> Rows,
    IReadOnlyList<int> Seeds, int Trials, int CompletedTrials, IReadOnlyList<string> Benchmarks, string Step, string? Reference,
    double LateWindow, string? PlatformCommit);

/// <summary>One row's pass@k for k = 1 … n on one benchmark, each k with its 95 % bootstrap interval over problems and seeds.</summary>
public sealed record PassAtKCurve(string Benchmark, string Row, string Arm, IReadOnlyList<PassAtKEstimate> Points);

/// <summary>pass@k at one k: mean over seeds, percentile interval (null where nothing varies), seeds.</summary>
public sealed record PassAtKEstimate(int K, double Mean, double? CiLow, double? CiHigh, int Seeds);

/// <summary>
/// A figure's curves over steps, one per row with its seed band (<see cref="SeedBand"/>): a training metric (the trainer's
/// step metrics, <see cref="Benchmark"/> null) or an evaluation figure of one benchmark. <see cref="StepWidth"/> &gt; 1: each
/// seed's points were averaged in windows of that many steps before the band (<see cref="SeedCurves.Binned"/>).
/// </summary>
public sealed record CurvePanel(string Metric, string Label, string? Benchmark, int StepWidth, IReadOnlyList<RowBand> Rows);

/// <summary>One row's band: at each step, the mean over the seeds that have it ± the Student-t half-width.</summary>
public sealed record RowBand(string Row, string Arm, int Seeds, IReadOnlyList<SeedBandPoint> Points);

/// <summary>
/// λ sensitivity: for each of λ_d, λ_ℓ and τ the sweep's grid varies, a figure (Avg@k, pass@n) against that value with the
/// table's 95 % intervals, one series per arm and setting of the other axes. <see cref="Axes"/> empty: the sweep has no λ
/// grid (<see cref="Note"/> says so).
/// </summary>
public sealed record LambdaSensitivity(IReadOnlyList<string> Axes, IReadOnlyList<SensitivityPanel> Panels, string? Note);

/// <param name="Axis">The hyper-parameter's JSON name (lambdaD, lambdaL, tau); <paramref name="AxisLabel"/> its label (λd, λℓ, τ).</param>
/// <param name="Reference">The reference row's value (a row without this axis, e.g. grpo), drawn as a line.</param>
public sealed record SensitivityPanel(string Axis, string AxisLabel, string Benchmark, string Metric, string MetricLabel,
    IReadOnlyList<SensitivitySeries> Series, SensitivityReference? Reference);

/// <param name="Fixed">The other grid coordinates this series holds fixed, e.g. "τ=5" (empty with a one-axis grid).</param>
public sealed record SensitivitySeries(string Arm, string Fixed, IReadOnlyList<SensitivityPoint> Points);

/// <summary>The reference row's table cell (a row the axis does not vary).</summary>
public sealed record SensitivityReference(string Row, double Mean, double? CiLow, double? CiHigh, int N);

/// <summary>One row's table cell at an axis value <paramref name="X"/>.</summary>
public sealed record SensitivityPoint(double X, string Row, double Mean, double? CiLow, double? CiHigh, int N);

/// <summary>
/// One of the paper's claims as checked on this sweep (<see cref="PaperClaims"/>): Δ = row − reference on the metric, the
/// claimed sign, the paired bootstrap difference (null when not testable), the verdict and why (when it needs saying).
/// <see cref="Benchmark"/> null: a claim about training curves (seeds only).
/// </summary>
public sealed record ReportClaim(string Claim, string? Benchmark, string Row, string Reference, string Metric, int ClaimedSign, Difference? Delta,
    Verdict Verdict, string? Note)
{
    /// <summary>"shown", "not shown", "contradicted", "not testable".</summary>
    public string Word => Verdicts.Word(Verdict);

    /// <summary>Whether Δ is a difference of rates (Pass@1, Avg@k, pass@k, their contrasts), shown in percentage points.</summary>
    public bool Rate => EvalMetrics.Rates.Contains(Metric.Split('@', ' ', ',')[0]);

    public static ReportClaim Of(ClaimCheck check, string? benchmark) =>
        new(check.Claim, benchmark, check.Row, check.Reference, check.Metric, check.ClaimedSign, check.Delta, check.Verdict, check.Note);
}

public static class Verdicts
{
    /// <summary>The verdict as the report writes it: shown / not shown / contradicted / not testable.</summary>
    public static string Word(Verdict verdict) => verdict switch
    {
        Verdict.Shown => "shown",
        Verdict.NotShown => "not shown",
        Verdict.Contradicted => "contradicted",
        Verdict.NotTestable => "not testable",
        _ => throw new ArgumentOutOfRangeException(nameof(verdict), verdict, "unknown verdict"),
    };
}

/// <summary>The trainer's step metrics a report draws over training steps (names as the trainer logs them).</summary>
public static class TrainingCurveNames
{
    public const string Entropy = "entropy";
    public const string SemanticSimilarity = "similarity/semantic";
    public const string FormulaSimilarity = "similarity/formula";

    public static IReadOnlyList<string> All { get; } = [Entropy, SemanticSimilarity, FormulaSimilarity];

    public static string Label(string name) => name switch
    {
        Entropy => "policy entropy",
        SemanticSimilarity => "semantic similarity of a step's correct rollouts",
        FormulaSimilarity => "formula similarity of a step's correct rollouts",
        _ => name,
    };
}
