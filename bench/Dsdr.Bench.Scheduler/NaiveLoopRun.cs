using Dsdr.Contracts;
using Dsdr.Grains.Running;
using Dsdr.Runner.Simulation;

namespace Dsdr.Bench.Scheduler;

/// <summary>
/// The named peer: a plain in-process scheduler — one FIFO queue and a loop that, every poll
/// interval, walks the slots, collects finished runs, requeues a run whose runner stopped
/// reporting, and starts the queue's head on each idle slot. Same runner, same workload, no
/// grains, no messages, no persistence.
/// </summary>
public static class NaiveLoopRun
{
    private sealed class Job(TrialDescriptor trial, DateTimeOffset queuedAt)
    {
        public TrialDescriptor Trial { get; } = trial;
        public int Attempt { get; set; }
        public DateTimeOffset QueuedAt { get; set; } = queuedAt;
        public string? Checkpoint { get; set; }
        public int CheckpointStep { get; set; }
        public bool Done { get; set; }
    }

    private sealed class Slot(string key)
    {
        public string Key { get; } = key;
        public Job? Job { get; set; }
        public Task<TrialOutcome>? Run { get; set; }
        public Task? Zombie { get; set; }
        public CancellationTokenSource? Cancel { get; set; }
        public Reporter? Reporter { get; set; }
        public DateTimeOffset FreeSince { get; set; }
        public DateTimeOffset ReturnedAt { get; set; }
    }

    private sealed class Reporter(string slotKey, Job job) : ITrialReporter
    {
        private long _lastTicks = DateTimeOffset.UtcNow.UtcTicks;
        public string SlotKey => slotKey;
        public DateTimeOffset LastActivity => new(Interlocked.Read(ref _lastTicks), TimeSpan.Zero);
        private void Touch() => Interlocked.Exchange(ref _lastTicks, DateTimeOffset.UtcNow.UtcTicks);
        public ValueTask ReportStepAsync(int step, int totalSteps) { Touch(); return ValueTask.CompletedTask; }
        public ValueTask HeartbeatAsync() { Touch(); return ValueTask.CompletedTask; }
        // The naive baseline measures scheduling only; it keeps no metrics.
        public ValueTask ReportMetricsAsync(int step, IReadOnlyDictionary<string, double> metrics) { Touch(); return ValueTask.CompletedTask; }
        public ValueTask ReportEvalFiguresAsync(int step, IReadOnlyList<Dsdr.Core.Results.EvalFigureValue> figures) { Touch(); return ValueTask.CompletedTask; }
        public ValueTask ReportEvalProblemsAsync(int step, IReadOnlyList<Dsdr.Core.Results.ProblemEvalOutcome> problems) { Touch(); return ValueTask.CompletedTask; }
        // Nor rollout groups (the workload's plans record none, on both sides of the comparison).
        public Task ReportRolloutGroupAsync(Dsdr.Contracts.RolloutGroupRecord group) { Touch(); return Task.CompletedTask; }
        public Task ReportCheckpointAsync(string path, int step)
        {
            Touch();
            lock (job) { job.Checkpoint = path; job.CheckpointStep = step; }
            return Task.CompletedTask;
        }
    }

    public static async Task<RunFigures> RunAsync(BenchOptions o, Workload workload, string checkpoints)
    {
        await RunOnceAsync(o, Workload.WarmUp(o), checkpoints);
        return await RunOnceAsync(o, workload, checkpoints);
    }

    private static async Task<RunFigures> RunOnceAsync(BenchOptions o, Workload workload, string checkpoints)
    {
        var log = new SimulationLog();
        var runner = new SimulatedTrialRunner(Path.Combine(checkpoints, "naive"), log);
        var poll = TimeSpan.FromMilliseconds(o.NaivePollMilliseconds);
        var silentLimit = o.RunnerStallTimeout + o.LeaseTimeout; // same detection time as the platform
        var submittedAt = DateTimeOffset.UtcNow;
        var slots = Enumerable.Range(0, o.Slots).Select(i => new Slot($"naive/cuda:{i}") { FreeSince = submittedAt }).ToArray();
        var queue = new LinkedList<Job>(workload.Trials.Select(t => new Job(t, submittedAt)));
        var open = workload.Trials.Count;
        var completed = 0;

        while (open > 0)
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var slot in slots)
            {
                if (slot.Zombie is { } zombie)
                {
                    if (!zombie.IsCompleted) continue;
                    slot.Zombie = null;
                    slot.FreeSince = slot.ReturnedAt;
                }
                if (slot.Run is { } run && slot.Job is { } job)
                {
                    if (run.IsCompleted)
                    {
                        var outcome = run.Result;
                        slot.Run = null;
                        slot.FreeSince = slot.ReturnedAt;
                        if (outcome.Kind == TrialOutcomeKind.Completed) { job.Done = true; open--; completed++; }
                        else Requeue(job, now);
                    }
                    else if (now - slot.Reporter!.LastActivity > silentLimit)
                    {
                        slot.Cancel!.Cancel();
                        slot.Zombie = run;
                        slot.Run = null;
                        Requeue(job, now);
                    }
                }
                if (slot.Run is null && slot.Zombie is null && queue.First is { } next)
                {
                    queue.RemoveFirst();
                    Start(slot, next.Value);
                }
            }
            await Task.Delay(poll);
        }
        // A hung runner may still be stuck after the last trial finished: let it return, so its attempt is counted.
        await Task.WhenAll(slots.Select(s => s.Zombie ?? Task.CompletedTask));
        return RunFigures.From($"naive loop ({o.NaivePollMilliseconds} ms poll)", log.Attempts, o.Slots, completed, submittedAt, submittedAt);

        void Requeue(Job job, DateTimeOffset now)
        {
            if (job.Attempt >= o.MaxAttempts) { job.Done = true; open--; return; }
            job.QueuedAt = now;
            queue.AddFirst(job);
        }

        void Start(Slot slot, Job job)
        {
            job.Attempt++;
            var readyAt = job.QueuedAt > slot.FreeSince ? job.QueuedAt : slot.FreeSince;
            string? checkpoint; int step;
            lock (job) { checkpoint = job.Checkpoint; step = job.CheckpointStep; }
            var assignment = new TrialAssignment(job.Trial, slot.Key, job.Attempt, checkpoint, step, readyAt, job.QueuedAt);
            slot.Job = job;
            slot.Cancel = new CancellationTokenSource();
            slot.Reporter = new Reporter(slot.Key, job);
            var token = slot.Cancel.Token;
            var reporter = slot.Reporter;
            slot.Run = Task.Run(async () =>
            {
                try { return await runner.RunAsync(assignment, reporter, token); }
                catch (Exception ex) { return TrialOutcome.Failed(0, ex.Message); }
                finally { slot.ReturnedAt = DateTimeOffset.UtcNow; }
            });
        }
    }
}
