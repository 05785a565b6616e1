using System.Collections.Concurrent;
using System.Text.Json;
using Dsdr.Contracts;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Grains.Running;
using Dsdr.Learning.Training;
using Dsdr.Runner;
using Xunit;

namespace Dsdr.Grains.Tests;

/// <summary>The trainer runner on its own, seen through the reporter port alone: cancel, resume, fresh restart, bad input.</summary>
[Collection(TrainerRunnerCollection.Name)]
public class TrainerRunnerResumeTests
{
    private const string Sweep = """
        {
          "name": "runner-resume",
          "task": { "kind": "countdown", "trainSize": 40, "heldOutSize": 4 },
          "model": { "preset": "countdown", "sft": { "enabled": false } },
          "base": { "totalSteps": 3, "promptsPerStep": 2, "groupSize": 2, "miniBatchesPerStep": 2, "maxNewTokens": 6,
                    "overlongBufferLength": 2, "learningRate": 0.001 },
          "arms": ["grpo"],
          "seeds": [4],
          "eval": { "everySteps": 10, "atStart": false, "avgK": 1, "passKSamples": 1 }
        }
        """;

    private sealed class Constant : IEmbedder
    {
        public int Dimension => 4;

        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts) =>
            texts.Select(t => new[] { 1f, t.Length % 2, t.Length % 3, 0.5f }).Select(v => v.Select(x => x / MathF.Sqrt(v.Sum(y => y * y))).ToArray()).ToList();
    }

    private sealed class RecordingReporter(string slotKey, Action<int>? onStep = null) : ITrialReporter
    {
        public string SlotKey => slotKey;
        public ConcurrentQueue<int> Steps { get; } = new();
        public ConcurrentQueue<int> MetricSteps { get; } = new();
        public ConcurrentQueue<(string Path, int Step)> Checkpoints { get; } = new();

        public ValueTask ReportStepAsync(int step, int totalSteps)
        {
            Steps.Enqueue(step);
            onStep?.Invoke(step);
            return ValueTask.CompletedTask;
        }

        public ValueTask HeartbeatAsync() => ValueTask.CompletedTask;

        public ValueTask ReportMetricsAsync(int step, IReadOnlyDictionary<string, double> metrics)
        {
            if (metrics.ContainsKey(StepMetricNames.RewardMean)) MetricSteps.Enqueue(step);
            return ValueTask.CompletedTask;
        }

        public ConcurrentQueue<(int Step, IReadOnlyList<Dsdr.Core.Results.EvalFigureValue> Figures)> EvalFigures { get; } = new();

        public ValueTask ReportEvalFiguresAsync(int step, IReadOnlyList<Dsdr.Core.Results.EvalFigureValue> figures)
        {
            EvalFigures.Enqueue((step, figures));
            return ValueTask.CompletedTask;
        }

        public ConcurrentQueue<(int Step, IReadOnlyList<Dsdr.Core.Results.ProblemEvalOutcome> Problems)> EvalProblems { get; } = new();

        public ValueTask ReportEvalProblemsAsync(int step, IReadOnlyList<Dsdr.Core.Results.ProblemEvalOutcome> problems)
        {
            EvalProblems.Enqueue((step, problems));
            return ValueTask.CompletedTask;
        }

        public ConcurrentQueue<RolloutGroupRecord> Groups { get; } = new();

        public Task ReportRolloutGroupAsync(RolloutGroupRecord group)
        {
            Groups.Enqueue(group);
            return Task.CompletedTask;
        }

        public Task ReportCheckpointAsync(string path, int step)
        {
            Checkpoints.Enqueue((path, step));
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task Cancels_between_steps_resumes_from_the_recorded_checkpoint_and_restarts_fresh_without_one()
    {
        var trial = SweepExpander.Expand(SweepSpecParser.Parse(Sweep).Spec!).Single();
        var descriptor = new TrialDescriptor(trial.TrialId, "runner-resume", trial.Arm, trial.Row, trial.Seed, trial.ToJson(), new TrialNeeds(DeviceKind.Cpu, 1));
        var slot = SlotKeys.Compose("n0", DeviceKind.Cpu, 0);
        var checkpoints = Path.Combine(Path.GetTempPath(), "dsdr-grains-tests", Guid.NewGuid().ToString("N"));
        try
        {
            // No grain factory: rollout groups, like every other report, go through the reporter (and its retry on a slot).
            var runner = new TrainerTrialRunner(new TrainerRunnerOptions(checkpoints, CheckpointEverySteps: 10, ReportQueueCapacity: 1), () => new Constant());
            TrialAssignment Assignment(int attempt, string? resume, int step) => new(descriptor, slot, attempt, resume, step, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

            using var cancel = new CancellationTokenSource();
            var first = new RecordingReporter(slot, step => { if (step == 1) cancel.Cancel(); });
            var cancelled = await runner.RunAsync(Assignment(1, null, 0), first, cancel.Token);
            // the trainer runs at most one step ahead of the reports (capacity 1): it stops after step 1 or 2
            Assert.Equal(TrialOutcomeKind.Cancelled, cancelled.Kind);
            var stopped = cancelled.FinalStep;
            Assert.InRange(stopped, 1, 2);
            Assert.Equal(Enumerable.Range(1, stopped), first.Steps);
            var (path, checkpointStep) = Assert.Single(first.Checkpoints); // the exit checkpoint, recorded before the attempt ended
            Assert.Equal(stopped, checkpointStep);

            var second = new RecordingReporter(slot);
            Assert.Equal(TrialOutcome.Completed(3), await runner.RunAsync(Assignment(2, path, stopped), second, CancellationToken.None));
            Assert.Equal(Enumerable.Range(stopped + 1, 3 - stopped), second.Steps);
            Assert.Equal(Enumerable.Range(stopped + 1, 3 - stopped), second.MetricSteps);
            Assert.Equal([3], second.Checkpoints.Select(c => c.Step));
            // every group the trainer wrote for the resumed steps reached the reporter, in order, as the platform's record
            AssertGroupsReported(second, trial.TrialId, Enumerable.Range(stopped + 1, 3 - stopped), Path.Combine(checkpoints, trial.TrialId));

            // no recorded checkpoint: a fresh start, whatever an earlier attempt left in the folder
            var fresh = new RecordingReporter(slot);
            Assert.Equal(TrialOutcome.Completed(3), await runner.RunAsync(Assignment(3, null, 0), fresh, CancellationToken.None));
            Assert.Equal([1, 2, 3], fresh.Steps);
            AssertGroupsReported(fresh, trial.TrialId, [1, 2, 3], Path.Combine(checkpoints, trial.TrialId));

            var badJson = Assignment(4, null, 0) with { Trial = descriptor with { ConfigJson = "{\"simulation\":{}}" } };
            var bad = await Assert.ThrowsAsync<ArgumentException>(() => runner.RunAsync(badJson, new RecordingReporter(slot), CancellationToken.None));
            Assert.Contains(trial.TrialId, bad.Message);
            Assert.Contains("TrialSpec", bad.Message);

            var missing = Assignment(5, Path.Combine(checkpoints, "elsewhere"), 1);
            var gone = await Assert.ThrowsAsync<InvalidOperationException>(() => runner.RunAsync(missing, new RecordingReporter(slot), CancellationToken.None));
            Assert.Contains("CheckpointDirectory", gone.Message);
        }
        finally
        {
            try { Directory.Delete(checkpoints, recursive: true); } catch (DirectoryNotFoundException) { }
        }
    }

    /// <summary>
    /// The reporter got promptsPerStep (2) groups of groupSize (2) rollouts for each of <paramref name="steps"/>, of this trial and
    /// the countdown dataset, and they are the groups the trainer appended last to groups.jsonl, in the same order.
    /// </summary>
    private static void AssertGroupsReported(RecordingReporter reporter, string trialId, IEnumerable<int> steps, string trialFolder)
    {
        var groups = reporter.Groups.ToList();
        Assert.Equal(steps.SelectMany(s => new[] { s, s }), groups.Select(g => g.Step));
        Assert.All(groups, g => Assert.Equal((trialId, 2), (g.TrialId, g.Rollouts.Length)));
        var written = File.ReadAllLines(Path.Combine(trialFolder, JsonlTrainingSink.GroupsFile)).TakeLast(groups.Count)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(
            written.Select(w => (w.GetProperty("step").GetInt32(), GrainKeys.Problem("countdown", w.GetProperty("problemId").GetString()!),
                string.Join("|", w.GetProperty("texts").EnumerateArray().Select(t => t.GetString())))),
            groups.Select(g => (g.Step, g.ProblemKey, string.Join("|", g.Rollouts.Select(r => r.Text)))));
    }

    [Theory]
    [InlineData("n1/cpu:0", "cpu")]
    [InlineData("n1/cpu:3", "cpu")]
    [InlineData("gpu-node/cuda:1", "cuda:1")]
    public void The_device_comes_from_the_slot_key(string slot, string device) => Assert.Equal(device, TrainerTrialRunner.DeviceOf(slot));

    [Theory]
    [InlineData("../x")]
    [InlineData("a/b")]
    [InlineData("")]
    public void A_trial_id_that_cannot_be_a_folder_is_refused(string id) =>
        Assert.Contains("cannot name a folder", Assert.Throws<ArgumentException>(() => TrainerTrialRunner.TrialFolder("/tmp/c", id)).Message);
}
