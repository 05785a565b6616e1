using Dsdr.Contracts;
using Dsdr.Core.Results;

namespace Dsdr.Grains.Running;

/// <summary>
/// Runs one attempt of a trial on a learner slot's device (the real one is the TorchSharp trainer).
/// Called on a background task, never inside a grain turn. It resumes from
/// <see cref="TrialAssignment.ResumeCheckpointPath"/> when given, reports each step and every
/// checkpoint through the reporter, and stops at the next step once the token is cancelled
/// (returning <see cref="TrialOutcome.Cancelled"/> or throwing <see cref="OperationCanceledException"/>).
/// An exception is an attempt failure.
/// </summary>
public interface ITrialRunner
{
    Task<TrialOutcome> RunAsync(TrialAssignment assignment, ITrialReporter reporter, CancellationToken cancellationToken);
}

/// <summary>The runner's line back to the platform. Any call counts as a sign of life.</summary>
public interface ITrialReporter
{
    string SlotKey { get; }

    /// <summary>The attempt finished step <paramref name="step"/> of <paramref name="totalSteps"/>.</summary>
    ValueTask ReportStepAsync(int step, int totalSteps);

    /// <summary>Alive inside a long step.</summary>
    ValueTask HeartbeatAsync();

    /// <summary>
    /// The step metrics of <paramref name="step"/> (name → value), on their way to the platform's
    /// <see cref="ITrialMetricSink"/>. Idempotent per (trial, step, name): a step replayed after a
    /// resume keeps the values stored first. Everything reported before a checkpoint is durable
    /// before the checkpoint is recorded, so a resumed attempt never leaves a gap.
    /// </summary>
    ValueTask ReportMetricsAsync(int step, IReadOnlyDictionary<string, double> metrics);

    /// <summary>
    /// The figures of the evaluation at <paramref name="step"/>, on their way to the platform's <see cref="ITrialMetricSink"/>
    /// (evaluation rows, and curves named <see cref="EvalFigureKey.MetricName"/>). Idempotent per (trial, step, figure):
    /// a replayed evaluation keeps the values stored first. Durable when it returns.
    /// </summary>
    ValueTask ReportEvalFiguresAsync(int step, IReadOnlyList<EvalFigureValue> figures);

    /// <summary>
    /// The per-problem outcomes of the evaluation at <paramref name="step"/> (the rows its figures are the means of),
    /// on their way to the platform's <see cref="ITrialMetricSink"/>. Idempotent per (trial, step, benchmark, problem):
    /// a replayed evaluation keeps the outcomes stored first. Durable when it returns.
    /// </summary>
    ValueTask ReportEvalProblemsAsync(int step, IReadOnlyList<ProblemEvalOutcome> problems);

    /// <summary>
    /// A scored rollout group of this trial, recorded through its RolloutGroup grain (which updates the problem's
    /// history and the <see cref="IRolloutMirror"/>). Idempotent per (trial, step, problem): a group reported again
    /// replaces itself. Returns once recorded, so groups reported before a checkpoint are stored before it.
    /// </summary>
    Task ReportRolloutGroupAsync(RolloutGroupRecord group);

    /// <summary>
    /// A checkpoint for <paramref name="step"/> is complete at <paramref name="path"/> (on storage every
    /// node can read). Returns once the trial has recorded it, so a later attempt resumes from it.
    /// </summary>
    Task ReportCheckpointAsync(string path, int step);
}

public enum TrialOutcomeKind
{
    Completed,
    Failed,
    Cancelled,
}

/// <summary>How a runner's attempt ended, at which step (and, when it failed, whether trying again could help).</summary>
public sealed record TrialOutcome(TrialOutcomeKind Kind, int FinalStep, string? Error, FailureKind Failure = FailureKind.Infrastructure)
{
    public static TrialOutcome Completed(int finalStep) => new(TrialOutcomeKind.Completed, finalStep, null);

    public static TrialOutcome Failed(int finalStep, string error, FailureKind failure = FailureKind.Infrastructure) =>
        new(TrialOutcomeKind.Failed, finalStep, error, failure);

    public static TrialOutcome Failed(int finalStep, ClassifiedFailure failure) => Failed(finalStep, failure.PublicMessage, failure.Kind);

    public static TrialOutcome Cancelled(int finalStep) => new(TrialOutcomeKind.Cancelled, finalStep, null);
}
