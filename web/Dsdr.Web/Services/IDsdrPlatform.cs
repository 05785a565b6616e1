using System.Security.Claims;
using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;

namespace Dsdr.Web.Services;

/// <summary>
/// What the REST API and the dashboard need from the platform. Commands (submit, cancel) go to the
/// grains; reads come from PostgreSQL's tables (sweeps, trials, metrics, evals, rollout groups, problems)
/// and, for the live pool, from the scheduler grain. Both the API and the Blazor pages call this one
/// service, so what the dashboard shows is what the API answers.
/// </summary>
public interface IDsdrPlatform
{
    /// <summary>Validates a spec (Core's parser) and expands it, without submitting: the new-sweep form's live preview.</summary>
    SweepPreview Preview(string specJson);

    /// <summary>
    /// Validates, expands and submits a sweep. Throws <see cref="Security.PlatformAccessDeniedException"/> unless
    /// <paramref name="caller"/> passes <see cref="Security.DsdrAuth.OperatePolicy"/> (checked first, nothing done),
    /// <see cref="SweepSpecException"/> (every error, each naming its JSON path) when the spec is invalid,
    /// <see cref="SweepConflictException"/> when a different sweep already has this id. Submitting the same spec again
    /// is a no-op that returns the existing sweep.
    /// </summary>
    /// <remarks>Every mutating method takes the caller: that is how the policy reaches the command path.</remarks>
    Task<SweepSubmitted> SubmitAsync(string specJson, ClaimsPrincipal caller, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SweepListItem>> ListSweepsAsync(int limit = 100, int offset = 0, CancellationToken cancellationToken = default);

    /// <summary>The sweep with its trials, or null when there is no such sweep.</summary>
    Task<SweepDetails?> GetSweepAsync(string sweepId, CancellationToken cancellationToken = default);

    /// <summary>Cancels the sweep's queued and running trials (<paramref name="caller"/> must pass the operator policy); null when there is no such sweep.</summary>
    Task<SweepListItem?> CancelSweepAsync(string sweepId, ClaimsPrincipal caller, CancellationToken cancellationToken = default);

    /// <summary>The paper-style result table of a sweep; null when there is no such sweep.</summary>
    Task<ResultTable?> GetResultTableAsync(string sweepId, ResultQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// The sweep's report (table as <see cref="GetResultTableAsync"/> gives it for the report's metrics, pass@k and Δpass@k with
    /// bands, training and evaluation curves with seed bands, λ sensitivity, the paper's claims); null when there is no such sweep.
    /// A given reference that names no row throws <see cref="UnknownReferenceException"/>.
    /// </summary>
    Task<Dsdr.Core.Reports.SweepReport?> GetReportAsync(string sweepId, ResultQuery query, CancellationToken cancellationToken = default);

    /// <summary>
    /// The sweep's solution-coverage ledger from each trial's final evaluation (Core's SolutionCoverage): per problem the rows
    /// and seeds that solved it and the most distinct correct solutions, per pair of rows the problems only the first solved;
    /// null when there is no such sweep.
    /// </summary>
    Task<CoverageLedger?> GetCoverageAsync(string sweepId, CancellationToken cancellationToken = default);

    /// <summary>The trial with its evaluations and what can be plotted; null when there is no such trial.</summary>
    Task<TrialDetails?> GetTrialAsync(string trialId, CancellationToken cancellationToken = default);

    /// <summary>Metric curves of the given trials (all names when <paramref name="names"/> is empty), downsampled to at most <paramref name="maxPoints"/> each.</summary>
    Task<IReadOnlyList<MetricCurve>> GetMetricsAsync(IReadOnlyCollection<string> trialIds, IReadOnlyCollection<string> names, int maxPoints = 500,
        CancellationToken cancellationToken = default);

    /// <summary>The same curves restricted to steps in [<paramref name="fromStep"/>, <paramref name="toStep"/>]: a zoomed chart's exact points.</summary>
    Task<IReadOnlyList<MetricCurve>> GetMetricWindowAsync(IReadOnlyCollection<string> trialIds, IReadOnlyCollection<string> names, int fromStep, int toStep,
        int maxPoints = 500, CancellationToken cancellationToken = default);

    /// <summary>
    /// One metric of the given trials as seed bands: a curve per (sweep, row) with the mean over its seeds and the 95 %
    /// Student-t interval (Core's SeedBand) at every step, or, where the window [<paramref name="fromStep"/>,
    /// <paramref name="toStep"/>] (null: open) holds more than <paramref name="maxPoints"/> steps, per bucket of steps
    /// shared by all seeds (each seed's bucket mean), at most <paramref name="maxPoints"/> points per curve.
    /// </summary>
    Task<IReadOnlyList<SeedBandCurve>> GetSeedBandsAsync(IReadOnlyCollection<string> trialIds, string name, int? fromStep, int? toStep,
        int maxPoints = 300, CancellationToken cancellationToken = default);

    /// <summary>One training step's rollout groups (the latest recorded step when <paramref name="step"/> is null); null when there is no such trial.</summary>
    Task<RolloutStepView?> GetRolloutsAsync(string trialId, int? step, CancellationToken cancellationToken = default);

    /// <summary>The pool's slots, what they run, the queue, and utilisation over time.</summary>
    Task<PoolView> GetPoolAsync(CancellationToken cancellationToken = default);

    /// <summary>A problem's text and history across trials; null when unknown.</summary>
    Task<ProblemView?> GetProblemAsync(string dataset, string problemId, CancellationToken cancellationToken = default);
}

/// <summary>A different sweep already uses this id (resubmitting the identical spec is not a conflict).</summary>
public sealed class SweepConflictException : Exception
{
    public SweepConflictException(string sweepId, string reason)
        : base($"Sweep '{sweepId}' already exists with a different spec: {reason}. Give the new sweep another \"name\".")
    {
        SweepId = sweepId;
        ExistingSweepId = sweepId;
    }

    /// <summary>A sweep whose id differs from <paramref name="sweepId"/> only in case exists: <paramref name="existingSweepId"/>.</summary>
    public SweepConflictException(string sweepId, string existingSweepId, string reason)
        : base($"Sweep '{sweepId}' cannot be created: {reason}. Resubmit it as \"name\": \"{existingSweepId}\" or give it another name.")
    {
        SweepId = sweepId;
        ExistingSweepId = existingSweepId;
    }

    public string SweepId { get; }

    /// <summary>The stored sweep the submission collides with (the same id, or one equal ignoring case).</summary>
    public string ExistingSweepId { get; }
}

/// <summary>The live preview of a spec: its errors, or the trial matrix it expands to.</summary>
public sealed record SweepPreview(
    string? SweepId,
    IReadOnlyList<SpecError> Errors,
    IReadOnlyList<PreviewTrial> Trials,
    IReadOnlyList<string> Arms,
    IReadOnlyList<int> Seeds)
{
    public bool IsValid => Errors.Count == 0;
    public int TrialCount => Trials.Count;
}

public sealed record PreviewTrial(string TrialId, string Arm, string Row, int Seed, int TotalSteps);

/// <summary><paramref name="Created"/>: false when the same sweep was already submitted (nothing new queued).</summary>
public sealed record SweepSubmitted(string SweepId, int Trials, bool Created);

/// <summary>Statuses are the text form of Core's run states (RunStatuses.Name): a sweep is queued, running, completed, completed-with-failures, failed or cancelled; its trials queued, running, completed, failed or cancelled.</summary>
public sealed record SweepListItem(
    string SweepId, string Name, string Status, int Trials, int Queued, int Running, int Completed, int Failed, int Cancelled,
    DateTime CreatedAt, DateTime UpdatedAt, int Stopped = 0)
{
    /// <summary>Finished trials / all trials, in [0, 1].</summary>
    public double Progress => Trials == 0 ? 0 : (double)(Completed + Failed + Cancelled + Stopped) / Trials;
}

public sealed record SweepDetails(
    SweepListItem Sweep,
    string SpecJson,
    IReadOnlyList<TrialListItem> Trials,
    IReadOnlyList<string> Arms,
    IReadOnlyList<string> Benchmarks,
    IReadOnlyList<MetricKey> Metrics,
    TrialsPageInfo? TrialsPage = null);

/// <summary>Which trials a paged sweep answer holds: page <paramref name="Page"/> (from 1) of <paramref name="Pages"/>, <paramref name="PageSize"/> a page, of <paramref name="TotalTrials"/>.</summary>
public sealed record TrialsPageInfo(int Page, int PageSize, int TotalTrials)
{
    public const int DefaultSize = 500;
    public const int MaxSize = 1000;

    public int Pages => Math.Max(1, (TotalTrials + PageSize - 1) / PageSize);
}

/// <param name="Attempts">Attempts started; <paramref name="FailedAttempts"/> of them failed, the newest with <paramref name="LastFailure"/>.</param>
public sealed record TrialListItem(
    string TrialId, string SweepId, string Arm, string Row, int Seed, string Status, int Step, int TotalSteps, int Attempts,
    string? SlotKey, string? Error, DateTime? StartedAt, DateTime? FinishedAt, int FailedAttempts = 0, string? LastFailure = null)
{
    /// <summary>The trial needed more than one attempt (it failed, lost its slot or was moved).</summary>
    public bool Retried => Attempts > 1;
}

public sealed record EvalFigure(int Step, string Benchmark, string Metric, int? K, double Value);

public sealed record TrialDetails(
    TrialListItem Trial,
    string ConfigJson,
    IReadOnlyList<EvalFigure> Evals,
    IReadOnlyList<string> MetricNames,
    IReadOnlyList<int> RolloutSteps,
    IReadOnlyList<TrialAttemptView>? Attempts = null);

/// <summary>
/// One attempt of a trial: where it ran, from which step, when, how it ended ("completed", "failed", "cancelled",
/// "interrupted"; null while running) and, when it did not complete, why (a failure's first line and where it was raised).
/// </summary>
public sealed record TrialAttemptView(
    int Number, string Node, string SlotKey, int ResumedFromStep, DateTime StartedAt, DateTime? EndedAt, string? Outcome, string? Reason);

public readonly record struct CurvePoint(int Step, double Value);

/// <summary>One metric of one trial over steps; <paramref name="TotalPoints"/> counts stored points before downsampling.</summary>
public sealed record MetricCurve(string TrialId, string Arm, string Row, int Seed, string Name, IReadOnlyList<CurvePoint> Points, long TotalPoints);

/// <summary>
/// The seeds of one (sweep, row) on one metric: at each point the mean over the seeds that have it and its 95 % interval
/// (null with a single seed). <paramref name="BucketWidth"/> 1: every stored step (exact); else each point stands for
/// that many steps (x at their middle), from each seed's mean over them. <paramref name="TotalPoints"/>: stored points summarised.
/// </summary>
public sealed record SeedBandCurve(string SweepId, string Row, string Arm, IReadOnlyList<int> Seeds, string Name, IReadOnlyList<SeedBandStep> Points,
    int BucketWidth, long TotalPoints)
{
    public bool Exact => BucketWidth == 1;
}

public readonly record struct SeedBandStep(double Step, double Mean, double? Low, double? High, int N);

/// <summary>How to build a result table: the metrics to show (null: all), which evaluation step, a Backbone row, the reference row.</summary>
/// <param name="Step">"final" (each trial's last evaluation) or "best:&lt;benchmark&gt;:&lt;metric@k&gt;".</param>
/// <param name="Reference">The row every other row's paired difference is against (a row label, an arm with one row, or
/// "backbone"); null: grpo when the sweep has it, else no differences. A given reference that names no row throws
/// <see cref="UnknownReferenceException"/>.</param>
public sealed record ResultQuery(IReadOnlyList<MetricKey>? Metrics = null, string Step = "final", bool IncludeBackbone = true, string? Reference = null);

public sealed record RolloutStepView(string TrialId, int Step, IReadOnlyList<int> Steps, IReadOnlyList<RolloutGroupView> Groups);

/// <param name="ProblemKey">"dataset/problem".</param>
/// <param name="Gold">The problem's gold answer, when known.</param>
public sealed record RolloutGroupView(string ProblemKey, string Prompt, IReadOnlyList<RolloutView> Rollouts, string? Gold = null)
{
    public int Correct => Rollouts.Count(r => r.Correct);
}

/// <summary>One scored rollout: reward, correctness, its solution key, and DSDR's d, r̃, A and w.</summary>
public sealed record RolloutView(
    string Text, double Reward, bool Correct, string? SolutionKey, double? Diversity, double ShapedReward, double Advantage, double Weight);

public sealed record PoolView(
    IReadOnlyList<SlotView> Slots,
    int QueueLength,
    IReadOnlyList<UtilisationSample> History)
{
    /// <summary>Busy slots / online slots now, in [0, 1].</summary>
    public double Utilisation => Slots.Count(s => s.Online) is var online and > 0 ? (double)Slots.Count(s => s.Online && s.TrialId is not null) / online : 0;
}

public sealed record SlotView(string SlotKey, string Node, string Device, double MemoryGiB, bool Online, string? TrialId, int Step, DateTimeOffset? LastHeartbeat);

/// <summary>The pool at one moment: slots online, slots busy, trials queued.</summary>
public sealed record UtilisationSample(DateTimeOffset At, int Online, int Busy, int Queued);

public sealed record ProblemView(
    string Dataset, string ProblemId, string? Prompt, string? Gold, int Groups, int Attempts, int Solved, int DistinctCorrectSolutions,
    IReadOnlyList<string> CorrectSolutions)
{
    public double PassRate => Attempts == 0 ? 0 : (double)Solved / Attempts;
}

/// <summary>A result query names a benchmark or a metric this sweep has not evaluated (or will not): which parameter, and what it has.</summary>
public sealed class BadResultQueryException(string parameter, string reason) : ArgumentException(reason)
{
    /// <summary>"metric" or "step".</summary>
    public string Parameter { get; } = parameter;
}
