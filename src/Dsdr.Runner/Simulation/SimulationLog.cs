using System.Collections.Concurrent;

namespace Dsdr.Runner.Simulation;

/// <summary>What one simulated attempt did, for tests and the benchmark.</summary>
public sealed record SimulatedAttempt(
    string TrialId, int Attempt, string SlotKey, int ResumedFromStep, DateTimeOffset QueuedAt, DateTimeOffset ReadyAt, DateTimeOffset StartedAt,
    DateTimeOffset EndedAt, int LastStep, string Outcome, DateTimeOffset? FaultAt);

/// <summary>Everything the simulated runners of one process did, shared across its silos.</summary>
public sealed class SimulationLog
{
    private readonly ConcurrentQueue<SimulatedAttempt> _attempts = new();
    private readonly ConcurrentDictionary<(string TrialId, int Step), int> _stepsRun = new();

    public IReadOnlyList<SimulatedAttempt> Attempts => [.. _attempts];

    /// <summary>How many times each (trial, step) was executed: more than once when replayed after a resume.</summary>
    public IReadOnlyDictionary<(string TrialId, int Step), int> StepsRun => _stepsRun;

    /// <summary>Forgets everything logged so far (e.g. after a warm-up).</summary>
    public void Clear()
    {
        _attempts.Clear();
        _stepsRun.Clear();
    }

    internal void Add(SimulatedAttempt attempt) => _attempts.Enqueue(attempt);

    internal void StepRan(string trialId, int step) => _stepsRun.AddOrUpdate((trialId, step), 1, (_, n) => n + 1);
}
