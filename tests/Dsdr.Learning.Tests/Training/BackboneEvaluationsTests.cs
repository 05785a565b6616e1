using Dsdr.Core.Sweeps;
using Dsdr.Learning.Evaluation;
using Dsdr.Learning.Training;

namespace Dsdr.Learning.Tests.Training;

public class BackboneEvaluationsTests
{
    private const string Spec = """
        {
          "name": "backbone-eval",
          "task": { "kind": "countdown", "trainSize": 60, "heldOutSize": 6 },
          "model": { "preset": "countdown", "sft": { "enabled": true, "steps": 12, "batchSize": 16, "warmupSteps": 2 } },
          "base": { "totalSteps": 1, "promptsPerStep": 2, "groupSize": 2, "miniBatchesPerStep": 1 },
          "arms": ["grpo", "dsdr"],
          "seeds": [1, 2],
          "eval": { "everySteps": 1, "atStart": true, "avgK": 2, "passKSamples": 2 }
        }
        """;

    [Fact]
    public void The_shared_backbone_is_evaluated_once_per_seed_and_every_trial_reports_that_evaluation()
    {
        var trials = SweepExpander.Expand(SweepSpecParser.Parse(Spec).Spec!);
        var root = TestModels.TempFolder();
        var calls = new List<(string Arm, int Seed, int Step)>();
        BenchmarkEvaluation counting = (model, tokenizer, task, benchmark, problems, spec, embedder, step, seed, maxNewTokens, ct) =>
        {
            lock (calls) calls.Add((task.Name, seed, step));
            return TrialRunner.EvaluatorDefault(model, tokenizer, task, benchmark, problems, spec, embedder, step, seed, maxNewTokens, ct);
        };
        var runner = new TrialRunner(new BigramEmbedder(), TrialRunner.SftWarmStartDefault, counting);
        var startEvals = new Dictionary<(string Arm, int Seed), EvalReport>();
        foreach (var trial in trials)
        {
            var sink = new MemoryTrainingSink();
            runner.Run(trial, new TrialRunOptions(Path.Combine(root, trial.TrialId), Threads: 1, SftCacheFolder: Path.Combine(root, "sft"), Sinks: [sink]));
            startEvals[(trial.Arm, trial.Seed)] = sink.Evals.Single(e => e.Step == 0);
        }

        Assert.Equal(2, calls.Count(c => c.Step == 0));                   // one per seed, not one per trial
        Assert.Equal(4, calls.Count(c => c.Step == 1));
        foreach (var seed in new[] { 1, 2 })
            Assert.Equal(Figures(startEvals[(ArmPresets.Grpo, seed)]), Figures(startEvals[(ArmPresets.Dsdr, seed)]));
    }

    [Fact]
    public void The_key_ignores_the_cadence_but_not_the_protocol_seed_or_answer_length()
    {
        var trial = SweepExpander.Expand(SweepSpecParser.Parse(Spec).Spec!)[0];
        var key = BackboneEvaluations.Key(trial, 6, ["countdown"]);
        Assert.Equal(key, BackboneEvaluations.Key(trial with { Eval = trial.Eval with { EverySteps = 50, AtStart = true } }, 6, ["countdown"]));
        Assert.NotEqual(key, BackboneEvaluations.Key(trial with { Eval = trial.Eval with { AvgTemperature = 1.0 } }, 6, ["countdown"]));
        Assert.NotEqual(key, BackboneEvaluations.Key(trial with { Seed = 9 }, 6, ["countdown"]));
        Assert.NotEqual(key, BackboneEvaluations.Key(trial, 7, ["countdown"]));
        Assert.NotEqual(key, BackboneEvaluations.Key(trial with { Task = trial.Task with { DataSeed = 5 } }, 6, ["countdown"]));
    }

    private static string Figures(EvalReport report) => string.Join(";", report.Figures.Select(f => $"{f.Benchmark}/{f.Metric}@{f.K}={f.Value:R}"));
}
