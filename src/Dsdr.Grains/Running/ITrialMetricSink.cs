using System.Collections.Concurrent;

namespace Dsdr.Grains.Running;

/// <summary>
/// Where learner slots send their runners' step metrics (PostgreSQL's metrics table through the
/// Storage ingestor in a real silo). Writing the same (trial, step, name) twice keeps the first value.
/// </summary>
public interface ITrialMetricSink
{
    /// <summary>Accepts the metrics of one step (buffered; may wait while the buffer is full).</summary>
    ValueTask WriteAsync(string trialId, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default);

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

    public ValueTask WriteAsync(string trialId, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default)
    {
        foreach (var (name, value) in metrics)
        {
            TrialMetricValidation.Check(trialId, step, name, value);
            _values.TryAdd((trialId, step, name), value);
        }
        return ValueTask.CompletedTask;
    }

    public Task FlushAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    /// <summary>A trial's metrics as (step, name) → value.</summary>
    public IReadOnlyDictionary<(int Step, string Name), double> Of(string trialId) =>
        _values.Where(kv => kv.Key.TrialId == trialId).ToDictionary(kv => (kv.Key.Step, kv.Key.Name), kv => kv.Value);
}

internal static class TrialMetricValidation
{
    public static void Check(string trialId, int step, string name, double value)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, $"Trial {trialId}: metric '{name}' has a negative step.");
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException($"Trial {trialId}, step {step}: a metric has an empty name.", nameof(name));
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, $"Trial {trialId}, step {step}: metric '{name}' is {value}; report finite values only.");
    }
}
