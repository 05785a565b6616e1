using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dsdr.Contracts;
using Dsdr.Grains.Running;

namespace Dsdr.Grains.Simulation;

/// <summary>
/// The plan a simulated trial follows, read from the "simulation" object of the trial's config
/// JSON: how many steps, how long each takes, how often it checkpoints, and which faults strike.
/// </summary>
public sealed record SimulationPlan(int Steps, int StepMilliseconds, int CheckpointEvery, IReadOnlyList<SimulatedFault> Faults)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };

    public static SimulationPlan FromConfigJson(string configJson)
    {
        using var doc = JsonDocument.Parse(configJson);
        if (!doc.RootElement.TryGetProperty("simulation", out var sim))
            throw new ArgumentException("The trial config has no \"simulation\" object: the simulated runner needs {\"simulation\":{\"steps\":N,\"stepMilliseconds\":M,…}}.");
        var plan = sim.Deserialize<SimulationPlan>(Json) ?? throw new ArgumentException("The trial config's \"simulation\" object is null.");
        plan = plan with { Faults = plan.Faults ?? [] };
        if (plan.Steps < 1) throw new ArgumentException($"simulation.steps must be at least 1 (got {plan.Steps}).");
        if (plan.StepMilliseconds < 0) throw new ArgumentException($"simulation.stepMilliseconds must be 0 or more (got {plan.StepMilliseconds}).");
        if (plan.CheckpointEvery < 0) throw new ArgumentException($"simulation.checkpointEvery must be 0 (never) or more (got {plan.CheckpointEvery}).");
        return plan;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>A config JSON holding just this plan.</summary>
    public string ToConfigJson() => $"{{\"simulation\":{ToJson()}}}";
}

public enum SimulatedFaultKind
{
    /// <summary>The attempt throws (a device error): the trial is requeued at once.</summary>
    Crash,
    /// <summary>The device hangs for HangMilliseconds: the runner reports nothing and ignores cancellation meanwhile.</summary>
    Hang,
}

/// <summary>A fault on attempt <paramref name="Attempt"/> just before step <paramref name="AtStep"/>.</summary>
public sealed record SimulatedFault(int Attempt, int AtStep, SimulatedFaultKind Kind, int HangMilliseconds = 0);

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

/// <summary>
/// A runner that follows each trial's <see cref="SimulationPlan"/>: it sleeps through its steps,
/// writes real checkpoint files to <paramref name="checkpointDirectory"/> (which every node must
/// share) and resumes from the checkpoint it is given, reading the file back.
/// </summary>
public sealed class SimulatedTrialRunner(string checkpointDirectory, SimulationLog log, TimeProvider? clock = null) : ITrialRunner
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public SimulationLog Log => log;

    public async Task<TrialOutcome> RunAsync(TrialAssignment assignment, ITrialReporter reporter, CancellationToken cancellationToken)
    {
        var startedAt = _clock.GetUtcNow();
        var plan = SimulationPlan.FromConfigJson(assignment.Trial.ConfigJson);
        var trialId = assignment.Trial.TrialId;
        var step = assignment.ResumeCheckpointPath is { } path ? ReadCheckpoint(path, trialId) : 0;
        if (step != assignment.ResumeStep)
            throw new InvalidOperationException($"Checkpoint '{assignment.ResumeCheckpointPath}' holds step {step}, the trial says {assignment.ResumeStep}.");
        DateTimeOffset? faultAt = null;
        var outcome = "completed";
        try
        {
            await reporter.ReportStepAsync(step, plan.Steps);
            while (step < plan.Steps)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var next = step + 1;
                if (plan.Faults.FirstOrDefault(f => f.Attempt == assignment.Attempt && f.AtStep == next) is { } fault)
                {
                    faultAt = _clock.GetUtcNow();
                    if (fault.Kind == SimulatedFaultKind.Crash)
                        throw new SimulatedDeviceException($"simulated device fault before step {next} of trial {trialId}");
                    await Task.Delay(fault.HangMilliseconds, CancellationToken.None);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                if (plan.StepMilliseconds > 0) await Task.Delay(plan.StepMilliseconds, cancellationToken);
                step = next;
                log.StepRan(trialId, step);
                await reporter.ReportMetricsAsync(step, SimulatedMetrics.At(trialId, step));
                await reporter.ReportStepAsync(step, plan.Steps);
                if (plan.CheckpointEvery > 0 && step % plan.CheckpointEvery == 0 && step < plan.Steps)
                    await reporter.ReportCheckpointAsync(WriteCheckpoint(trialId, assignment.Attempt, step), step);
            }
            return TrialOutcome.Completed(step);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = "cancelled";
            return TrialOutcome.Cancelled(step);
        }
        catch (SimulatedDeviceException ex)
        {
            outcome = "crashed";
            return TrialOutcome.Failed(step, ex.Message);
        }
        finally
        {
            log.Add(new SimulatedAttempt(trialId, assignment.Attempt, reporter.SlotKey, assignment.ResumeStep,
                assignment.QueuedAt, assignment.ReadyAt, startedAt, _clock.GetUtcNow(), step, outcome, faultAt));
        }
    }

    private string WriteCheckpoint(string trialId, int attempt, int step)
    {
        var folder = Path.Combine(checkpointDirectory, trialId);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"step-{step:D6}.json");
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new CheckpointFile(trialId, step, attempt)));
        File.Move(temp, path, overwrite: true);
        return path;
    }

    private static int ReadCheckpoint(string path, string trialId)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Checkpoint of trial {trialId} not found at '{path}': is the checkpoint folder shared between nodes?", path);
        var file = JsonSerializer.Deserialize<CheckpointFile>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"Checkpoint '{path}' is empty.");
        if (file.TrialId != trialId)
            throw new InvalidDataException($"Checkpoint '{path}' belongs to trial {file.TrialId}, not {trialId}.");
        return file.Step;
    }

    private sealed record CheckpointFile(string TrialId, int Step, int Attempt);
}

/// <summary>
/// The step metrics a simulated trial reports: a function of (trial, step) only, so a step replayed
/// after a resume reports the same values, as an exactly resumed trainer would.
/// </summary>
public static class SimulatedMetrics
{
    public const string Loss = "loss";
    public const string RewardMean = "reward/mean";

    public static IReadOnlyDictionary<string, double> At(string trialId, int step)
    {
        var noise = Noise(trialId, step);
        return new Dictionary<string, double>
        {
            // loss = 1 / (1 + step/10) · (1 + 0.05·u),  u ∈ [−1, 1)
            [Loss] = 1.0 / (1.0 + step / 10.0) * (1.0 + 0.05 * noise),
            // reward = 1 − 1 / (1 + step/10) + 0.02·u
            [RewardMean] = 1.0 - 1.0 / (1.0 + step / 10.0) + 0.02 * noise,
        };
    }

    // A stable pseudo-random u ∈ [−1, 1) from (trial, step): FNV-1a, not string.GetHashCode (random per process).
    private static double Noise(string trialId, int step)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes($"{trialId}#{step}"))
            hash = (hash ^ b) * 1099511628211UL;
        return (hash >> 11) / (double)(1UL << 53) * 2.0 - 1.0;
    }
}

public sealed class SimulatedDeviceException(string message) : Exception(message);
