using Dsdr.Core.Runs;

namespace Dsdr.Storage.Repositories;

/// <summary>Learner slot state as stored in the pool table.</summary>
public enum SlotStatus { Idle, Busy, Offline }

public sealed record NewSweep(string SweepId, string Name, string SpecJson);

public sealed record SweepRow(string SweepId, string Name, string Spec, SweepStatus Status, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>A sweep with its trials counted by status (the sweeps page).</summary>
public sealed record SweepSummary(
    string SweepId, string Name, SweepStatus Status, DateTime CreatedAt, DateTime UpdatedAt,
    long Trials, long Queued, long Running, long Completed, long Failed, long Cancelled, long Stopped);

/// <summary>One expanded trial of a sweep. <paramref name="Row"/> is its result-table row (arm plus grid point).</summary>
public sealed record NewTrial(string TrialId, string SweepId, string Arm, string Row, int Seed, string ConfigJson);

/// <summary>A trial's row; <paramref name="FailedAttempts"/> and <paramref name="LastFailure"/> (the newest failed attempt's reason) come from trial_attempts.</summary>
public sealed record TrialRow(
    string TrialId, string SweepId, string Arm, string Row, int Seed, string Config, TrialStatus Status, int Attempts,
    string? SlotId, DateTime? LeaseExpiresAt, DateTime? HeartbeatAt, int? LastStep, string? CheckpointPath, int? CheckpointStep,
    string? Error, DateTime CreatedAt, DateTime? StartedAt, DateTime? FinishedAt, DateTime UpdatedAt, int FailedAttempts, string? LastFailure);

/// <summary>
/// A trial's status as the scheduler knows it, for <see cref="TrialRepository.SyncAsync"/> (times in UTC), with every
/// attempt so far.
/// </summary>
public sealed record TrialSync(
    string TrialId, TrialStatus Status, int Attempts, string? SlotId, DateTime? LeaseExpiresAt, int LastStep,
    string? CheckpointPath, int? CheckpointStep, string? Error, DateTime? StartedAt, DateTime? FinishedAt,
    IReadOnlyList<TrialAttemptRow>? AttemptRecords = null);

/// <summary>
/// One attempt of a trial: the slot it ran on, the step it resumed from, when it started and ended, its outcome
/// ("completed", "failed", "cancelled", "interrupted"; null while it runs) and why it ended when it did not complete.
/// </summary>
public sealed record TrialAttemptRow(
    int Attempt, string SlotId, int ResumedFromStep, DateTime StartedAt, DateTime? EndedAt, string? Outcome, string? Reason);

/// <summary>One training-step metric value: the unit of ingest, idempotent on (trial, name, step).</summary>
public sealed record MetricSample(string TrialId, int Step, string Name, double Value);

public readonly record struct MetricPoint(int Step, double Value);

/// <summary>A metric's curve for one trial; <paramref name="TotalPoints"/> counts the stored points before downsampling.</summary>
public sealed record MetricSeries(string TrialId, string Name, IReadOnlyList<MetricPoint> Points, long TotalPoints);

/// <summary>One evaluation figure. <paramref name="K"/>: k of pass@k / Avg@k, null for figures without k.</summary>
public sealed record EvalRow(string TrialId, int Step, string Benchmark, string Metric, int? K, double Value);

/// <summary>Which evaluation of each trial feeds the result table.</summary>
public abstract record EvalStepChoice
{
    private EvalStepChoice() { }

    /// <summary>Each trial's last evaluated step.</summary>
    public static readonly EvalStepChoice Final = new FinalStep();

    /// <summary>Each trial's step with the highest value of (benchmark, metric, k); ties go to the earlier step.</summary>
    public static EvalStepChoice BestAt(string benchmark, string metric, int? k = null) => new BestStep(benchmark, metric, k);

    /// <summary>Every trial's evaluation at this step (e.g. 0: the SFT backbone before RL), for the trials that have one.</summary>
    public static EvalStepChoice AtStep(int step) => new FixedStep(step);

    public sealed record FinalStep : EvalStepChoice;
    public sealed record BestStep(string Benchmark, string Metric, int? K) : EvalStepChoice;
    public sealed record FixedStep(int Step) : EvalStepChoice;
}

/// <summary>The stored record of one scored rollout group (rollouts and summary are JSON documents).</summary>
public sealed record RolloutGroupRecord(
    string TrialId, int Step, string ProblemId, int GroupSize, int Correct, double MeanReward, string RolloutsJson, string SummaryJson);

public sealed record RolloutGroupSummary(string TrialId, int Step, string ProblemId, int GroupSize, int Correct, double MeanReward, string Summary);

public sealed record ProblemRow(
    string Dataset, string ProblemId, string? Prompt, string? Answer, long Attempts, long Correct, int DistinctCorrect, DateTime? LastSeenAt)
{
    public double PassRate => Attempts == 0 ? 0 : (double)Correct / Attempts;
}

public sealed record SlotRegistration(string SlotId, string Node, string Device, string Kind, long? MemoryBytes);

public sealed record SlotRow(
    string SlotId, string Node, string Device, string Kind, long? MemoryBytes, SlotStatus Status, string? TrialId,
    DateTime RegisteredAt, DateTime HeartbeatAt);

internal static class DbText
{
    // The one mapping of Core's statuses to the status columns: a column holds the status's name (RunStatuses.Name),
    // and is read back as the enum's number by a CASE built from the same names.

    /// <summary>The column value of a trial's status.</summary>
    public static string Of(TrialStatus status) => status is TrialStatus.Unknown
        ? throw new ArgumentOutOfRangeException(nameof(status), status, "A trial row has a status; 'unknown' is not stored.")
        : status.Name();

    /// <summary>The column value of a sweep's status.</summary>
    public static string Of(SweepStatus status) => status is SweepStatus.NotSubmitted
        ? throw new ArgumentOutOfRangeException(nameof(status), status, "A sweep row is a submitted sweep; 'not-submitted' is not stored.")
        : status.Name();

    /// <summary>SQL reading a trial status column as <see cref="TrialStatus"/>'s number.</summary>
    public static string TrialStatusOf(string column) =>
        StatusCase(column, RunStatuses.TrialStatuses.Where(s => s != TrialStatus.Unknown).Select(s => (Of(s), (int)s)));

    /// <summary>SQL reading a sweep status column as <see cref="SweepStatus"/>'s number.</summary>
    public static string SweepStatusOf(string column) =>
        StatusCase(column, RunStatuses.SweepStatuses.Where(s => s != SweepStatus.NotSubmitted).Select(s => (Of(s), (int)s)));

    private static string StatusCase(string column, IEnumerable<(string Text, int Number)> values) =>
        $"(CASE {column} {string.Join(" ", values.Select(v => $"WHEN '{v.Text}' THEN {v.Number}"))} END)";

    public static string Of(SlotStatus status) => status switch
    {
        SlotStatus.Idle => "idle",
        SlotStatus.Busy => "busy",
        SlotStatus.Offline => "offline",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown slot status."),
    };

    public static void RequireId(string? value, string name)
    {
        if (string.IsNullOrWhiteSpace(value)) throw new ArgumentException($"{name} must not be empty.", name);
    }
}
