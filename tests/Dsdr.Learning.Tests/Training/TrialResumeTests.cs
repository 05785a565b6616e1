using System.Text.Json.Nodes;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Compute;
using Dsdr.Learning.Evaluation;
using Dsdr.Learning.Training;

namespace Dsdr.Learning.Tests.Training;

/// <summary>
/// A trial that dies in the middle of a step and is resumed from its newest checkpoint continues exactly as the
/// uninterrupted run: the same metric and evaluation rows (the replayed steps too), and at the end the same weights and
/// AdamW moments byte for byte. The trial is a real one through <see cref="TrialRunner"/>: a preset model from random
/// weights, the task's data order, sampling, DSDR scoring, evaluations and checkpoints.
/// </summary>
public class TrialResumeTests
{
    private const int Steps = 10;
    private const int CheckpointEvery = 4;
    private const string Spec = """
        {
          "name": "resume",
          "task": { "kind": "countdown", "numbers": 3, "trainSize": 500, "heldOutSize": 6, "dataSeed": 3 },
          "model": { "preset": "countdown", "sft": { "enabled": false } },
          "base": { "learningRate": 0.001, "totalSteps": 10, "promptsPerStep": 4, "groupSize": 4, "miniBatchesPerStep": 2,
                    "maxNewTokens": 12, "lambdaD": 0.1, "lambdaL": 0.01, "tau": 5, "klBeta": 0.02 },
          "arms": ["dsdr"],
          "seeds": [4],
          "eval": { "everySteps": 5, "atStart": true, "avgK": 2, "passKSamples": 2 }
        }
        """;

    /// <summary>The test encoder, failing in the step after <paramref name="lastGoodStep"/>: it dies between sampling and its update
    /// (step 10 logs the semantic similarity, so it embeds every group even where no rollout is correct).</summary>
    private sealed class DyingEmbedder(int lastGoodStep) : IEmbedder, ITrainingSink
    {
        private readonly BigramEmbedder inner = new();
        private int reported;
        public int Dimension => inner.Dimension;

        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts) =>
            reported == lastGoodStep ? throw new IOException("the learner died mid-step") : inner.Embed(texts);

        public void OnStep(StepMetrics metrics) => reported = metrics.Step;
        public void OnGroup(GroupRecord group) { }
        public void OnEval(EvalReport report) { }
        public void OnCheckpoint(CheckpointRecord checkpoint) { }
    }

    [Fact]
    public void A_trial_killed_mid_step_resumes_from_its_checkpoint_exactly_as_the_uninterrupted_run()
    {
        var threads = LibTorchProcess.UseThreads(1);
        var trial = SweepExpander.Expand(SweepSpecParser.Parse(Spec).GetSpecOrThrow()).Single();
        var root = TestModels.TempFolder();
        TrialRunOptions Options(string name, bool resume, List<string>? log = null) =>
            new(Path.Combine(root, name), resume, Device: "cpu", Threads: threads, CheckpointEverySteps: CheckpointEvery, Log: log is null ? null : log.Add);

        var straight = new TrialRunner(new BigramEmbedder(), null, TrialRunner.EvaluatorDefault).Run(trial, Options("straight", false));
        Assert.Equal(Steps, straight.Training.Steps);

        // dies in step 10, after step 9 was reported and step 8 checkpointed
        var dying = new DyingEmbedder(lastGoodStep: 9);
        Assert.Throws<IOException>(() => new TrialRunner(dying, null, TrialRunner.EvaluatorDefault).Run(trial, Options("killed", false) with { Sinks = [dying] }));
        Assert.Equal(8, CheckpointStore.ReadState(CheckpointStore.Latest(Path.Combine(root, "killed", TrialRunner.CheckpointsFolder))!).Step);

        // the next attempt asks for another thread count: the process keeps its own, so the numbers cannot change
        var log = new List<string>();
        var resumed = new TrialRunner(new BigramEmbedder(), null, TrialRunner.EvaluatorDefault).Run(trial, Options("killed", true, log) with { Threads = threads + 1 });
        Assert.True(resumed.Resumed);
        Assert.Equal(Steps, resumed.Training.Steps);
        Assert.Contains(log, l => l.Contains($"libtorch runs {threads} intra-op threads, set once for this process"));

        var straightRows = Rows(root, "straight", JsonlTrainingSink.MetricsFile);
        var killedRows = Rows(root, "killed", JsonlTrainingSink.MetricsFile);
        Assert.Equal(Steps + 1, killedRows.Count);                     // step 9 ran twice: before the death and after the resume
        Assert.Equal(killedRows[8], killedRows[9]);                    // … with the same numbers
        Assert.Equal(straightRows, killedRows.Take(8).Concat(killedRows.Skip(9)).ToList());
        Assert.Equal(Rows(root, "straight", JsonlTrainingSink.EvalsFile), Rows(root, "killed", JsonlTrainingSink.EvalsFile));

        foreach (var file in new[] { Path.Combine(CheckpointStore.ModelFolder, "model.safetensors"), Path.Combine(CheckpointStore.ReferenceFolder, "model.safetensors"), CheckpointStore.OptimizerFile })
            Assert.True(File.ReadAllBytes(Path.Combine(straight.Training.LastCheckpoint!, file)).AsSpan()
                .SequenceEqual(File.ReadAllBytes(Path.Combine(resumed.Training.LastCheckpoint!, file))), $"{file} differs after the resume");
    }

    // a JSONL file's rows without the wall-clock fields
    private static List<string> Rows(string root, string run, string file) =>
        File.ReadAllLines(Path.Combine(root, run, file)).Select(line =>
        {
            var row = JsonNode.Parse(line)!.AsObject();
            foreach (var timing in new[] { "seconds", "tokensPerSecond" }) row.Remove(timing);
            return row.ToJsonString();
        }).ToList();
}
