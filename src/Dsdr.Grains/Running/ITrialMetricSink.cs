using System.Collections.Concurrent;
using Dsdr.Core.Results;

namespace Dsdr.Grains.Running;

/// <summary>
/// Where learner slots send their runners' step metrics (PostgreSQL's metrics table through the
/// Storage ingestor in a real silo). Writing the same (trial, step, name) twice keeps the first value.
/// </summary>
public interface ITrialMetricSink
{
    /// <summary>Accepts the metrics of one step (buffered; may wait while the buffer is full).</summary>
    ValueTask WriteAsync(string trialId, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the figures of one evaluation: as evaluation rows (where result tables are built), durable when it returns,
    /// and as step metrics named <see cref="EvalFigureKey.MetricName"/> (their curves). Writing the same
    /// (trial, step, figure) twice keeps the first value.
    /// </summary>
    ValueTask WriteEvalFiguresAsync(string trialId, int step, IReadOnlyList<EvalFigureValue> figures, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores the per-problem outcomes of one evaluation (the rows its figures are the means of); durable when it returns.
    /// Writing the same (trial, step, benchmark, problem) twice keeps the first outcome.
    /// </summary>
    ValueTask WriteEvalProblemsAsync(string trialId, int step, IReadOnlyList<ProblemEvalOutcome> problems, CancellationToken cancellationToken = default);

    /// <summary>Returns once everything written before the call is durable.</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The metric sink of a silo without a database: keeps every (trial, step, name) in this process,
/// first value wins. Lost on exit; for tests and in-memory runs.
/// </summary>
public sealed class InMemoryTrialMetricSink : ITrialMetricSink
{
    private readonly ConcurrentDictionary<(string TrialId, int Step, string Name), double> _values = new();
    private readonly ConcurrentDictionary<(string TrialId, int Step, string Benchmark, string ProblemId), ProblemEvalOutcome> _problems = new();

    public ValueTask WriteAsync(string trialId, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default)
    {
        foreach (var (name, value) in metrics)
        {
            TrialMetricValidation.Check(trialId, step, name, value);
            TrialMetricValidation.CheckNotFigure(trialId, step, name);
            _values.TryAdd((trialId, step, name), value);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteEvalFiguresAsync(string trialId, int step, IReadOnlyList<EvalFigureValue> figures, CancellationToken cancellationToken = default)
    {
        foreach (var f in figures)
        {
            TrialMetricValidation.Check(trialId, step, f.Key.MetricName, f.Value);
            _values.TryAdd((trialId, step, f.Key.MetricName), f.Value);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask WriteEvalProblemsAsync(string trialId, int step, IReadOnlyList<ProblemEvalOutcome> problems, CancellationToken cancellationToken = default)
    {
        TrialMetricValidation.Check(trialId, step, problems);
        foreach (var p in problems) _problems.TryAdd((trialId, step, p.Benchmark, p.ProblemId), p);
        return ValueTask.CompletedTask;
    }

    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>A trial's metrics as (step, name) → value.</summary>
    public IReadOnlyDictionary<(int Step, string Name), double> Of(string trialId) =>
        _values.Where(kv => kv.Key.TrialId == trialId).ToDictionary(kv => (kv.Key.Step, kv.Key.Name), kv => kv.Value);

    /// <summary>A trial's per-problem evaluation outcomes, by step, benchmark and problem.</summary>
    public IReadOnlyList<TrialProblemRecord> ProblemsOf(string trialId) =>
        [.. _problems.Where(kv => kv.Key.TrialId == trialId)
            .OrderBy(kv => kv.Key.Step).ThenBy(kv => kv.Key.Benchmark, StringComparer.Ordinal).ThenBy(kv => kv.Key.ProblemId, StringComparer.Ordinal)
            .Select(kv => new TrialProblemRecord(trialId, kv.Key.Step, kv.Value))];
}

public static class TrialMetricValidation
{
    /// <summary>A step metric may not carry an evaluation figure's name: figures are reported typed, as <see cref="EvalFigureValue"/>s.</summary>
    public static void CheckNotFigure(string trialId, int step, string name)
    {
        if (EvalFigureKey.TryParseMetricName(name, out _))
            throw new ArgumentException($"Trial {trialId}, step {step}: metric '{name}' is named as an evaluation figure; " +
                "report evaluation figures with ReportEvalFiguresAsync (EvalFigureValue), not as step metrics.", nameof(name));
    }

    public static void Check(string trialId, int step, string name, double value)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, $"Trial {trialId}: metric '{name}' has a negative step.");
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"Trial {trialId}, step {step}: a metric has an empty name.", nameof(name));
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, $"Trial {trialId}, step {step}: metric '{name}' is {value}; report finite values only.");
    }

    public static void Check(string trialId, int step, IReadOnlyList<ProblemEvalOutcome> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, $"Trial {trialId}: evaluation outcomes have a negative step.");
        foreach (var p in problems)
            if (p.Problem() is { } problem)
                throw new ArgumentException($"Trial {trialId}, step {step}, problem {p.Benchmark}/{p.ProblemId}: {problem}.", nameof(problems));
    }
}
