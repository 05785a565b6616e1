using System.Text.Json;
using Dsdr.Contracts;
using Dsdr.Core.Failures;
using Dsdr.Core.Results;
using Dsdr.Grains.Running;

namespace Dsdr.Runner.Simulation;

/// <summary>
/// A runner that follows each trial's <see cref="SimulationPlan"/>: it sleeps through its steps,
/// writes real checkpoint files to <paramref name="checkpointDirectory"/> (which every node must
/// share) and resumes from the checkpoint it is given, reading the file back. Like the trainer's runner
/// it reports step metrics, evaluation figures (on the benchmark "simulated") and scored
/// rollout groups, all simulated: deterministic functions of (trial, step), not the output of a model.
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
            if (step == 0 && plan.EvaluatesAt(0))
            {
                await reporter.ReportEvalProblemsAsync(0, SimulatedMetrics.ProblemsAt(trialId, 0, plan));
                await reporter.ReportEvalFiguresAsync(0, SimulatedMetrics.EvalAt(trialId, 0, plan));
            }
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
                    if (fault.Kind == SimulatedFaultKind.Diverge)
                    {
                        outcome = "diverged";
                        throw new TrainingDivergedException(double.NaN, next, learningRate: null);
                    }
                    await Task.Delay(fault.HangMilliseconds, CancellationToken.None);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                if (plan.StepMilliseconds > 0) await Task.Delay(plan.StepMilliseconds, cancellationToken);
                step = next;
                log.StepRan(trialId, step);
                if (plan.EvaluatesAt(step))
                {
                    await reporter.ReportEvalProblemsAsync(step, SimulatedMetrics.ProblemsAt(trialId, step, plan));
                    await reporter.ReportEvalFiguresAsync(step, SimulatedMetrics.EvalAt(trialId, step, plan));
                }
                await reporter.ReportMetricsAsync(step, SimulatedMetrics.At(trialId, step));
                for (var g = 0; g < plan.RolloutGroupsPerStep; g++)
                    await reporter.ReportRolloutGroupAsync(SimulatedRollouts.Group(trialId, step, g));
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

public sealed class SimulatedDeviceException(string message) : Exception(message);
