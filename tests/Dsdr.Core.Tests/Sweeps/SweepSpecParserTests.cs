using System.Text.Json;
using Dsdr.Core.Sweeps;
using static Dsdr.Core.Tests.Sweeps.SpecFixtures;

namespace Dsdr.Core.Tests.Sweeps;

public class SweepSpecParserTests
{
    [Fact]
    public void Minimal_spec_gets_defaults()
    {
        var spec = Valid(Minimal);
        Assert.Equal(TaskKind.Countdown, spec.Task.Kind);
        Assert.Equal(3, spec.Task.Numbers);
        Assert.Equal(new IntRange(1, 20), spec.Task.NumberRange);
        Assert.Equal("small", spec.Model.Preset);
        Assert.True(spec.Model.Sft.Enabled);
        Assert.Empty(spec.Base);
        Assert.Equal(["grpo", "dsdr"], spec.Arms);
        var axis = Assert.Single(spec.Grid);
        Assert.Equal("lambdaD", axis.Key);
        Assert.Equal([0.01, 0.1], axis.Values);
        Assert.Equal([0, 1], spec.Seeds);
        Assert.Equal(new EvalSpec(), spec.Eval with { Benchmarks = new EvalSpec().Benchmarks });
        Assert.Equal((0.1, 0.9, 16, 0.7), (spec.Eval.Pass1Temperature, spec.Eval.Pass1TopP, spec.Eval.AvgK, spec.Eval.AvgTemperature));
        // Avg@k/pass@k at the paper's top-p 0.9; diversity also at T 1.0 on 16 samples of the policy's own distribution
        Assert.Equal((0.9, 1.0, 1.0, 16), (spec.Eval.TopP, spec.Eval.DiversityTemperature, spec.Eval.DiversityTopP, spec.Eval.DiversitySamples));
        Assert.Equal(new ResourceSpec(DeviceKind.Cpu, 2.0, 0), spec.Resources);
        Assert.Equal(1000, spec.MaxTrials);
    }

    [Fact]
    public void Typed_values_follow_the_hyper_parameter_table()
    {
        var spec = Valid(With(o =>
        {
            o["base"] = JsonNode("{\"groupSize\": 4.0, \"lossAggregation\": \"seq-mean-token-mean\", \"dualClip\": null, \"semanticNeighbours\": \"correct-only\"}");
            o["grid"] = JsonNode("{\"stdNormalize\": [true, false], \"klEstimator\": [\"k1\", \"k3\"]}");
        }));
        Assert.Equal([new("groupSize", 4), new("lossAggregation", LossAggregation.SeqMeanTokenMean), new("dualClip", null),
            new HyperAssignment("semanticNeighbours", Dsdr.Core.Method.SemanticNeighbours.CorrectOnly)], spec.Base);
        Assert.Equal([true, false], spec.Grid[0].Values);
        Assert.Equal([KlEstimator.K1, KlEstimator.K3], spec.Grid[1].Values);
    }

    [Fact]
    public void Math_task_with_benchmarks_and_checkpoint_model()
    {
        var spec = Valid(With(o =>
        {
            o["task"] = JsonNode(MathTask);
            o["model"] = JsonNode("{\"checkpoint\": \"/models/qwen\"}");
            o["eval"] = JsonNode("{\"benchmarks\": [\"MATH500\"]}");
        }));
        Assert.Equal(TaskKind.Math, spec.Task.Kind);
        Assert.Equal("/d/train.jsonl", spec.Task.TrainPath);
        Assert.Equal([new BenchmarkFile("AIME24", "/d/a.jsonl"), new BenchmarkFile("MATH500", "/d/m.jsonl")], spec.Task.Benchmarks);
        Assert.Equal(["AIME24", "MATH500"], spec.Task.BenchmarkNames);
        Assert.Equal("/models/qwen", spec.Model.Checkpoint);
        Assert.False(spec.Model.Sft.Enabled); // a real checkpoint needs no warm start unless asked
        Assert.Equal(["MATH500"], spec.Eval.Benchmarks);
        // the paper's prompt: the model's own chat template, thinking off, its step-by-step \boxed{} instruction
        Assert.Equal((ChatTemplateUse.Auto, false, "Please reason step by step, and put your final answer within \\boxed{}."),
            (spec.Model.ChatTemplate, spec.Model.EnableThinking, spec.Model.Instruction));
    }

    [Fact]
    public void A_checkpoints_prompt_fields_are_read_and_written_back()
    {
        var spec = Valid(With(o =>
        {
            o["task"] = JsonNode(MathTask);
            o["model"] = JsonNode("{\"checkpoint\": \"/m\", \"chatTemplate\": \"none\", \"enableThinking\": true, \"instruction\": \"Box it.\"}");
        }));
        Assert.Equal((ChatTemplateUse.None, true, "Box it."), (spec.Model.ChatTemplate, spec.Model.EnableThinking, spec.Model.Instruction));
        var written = SweepSpecWriter.ToJson(spec);
        Assert.Contains("\"chatTemplate\":\"none\"", written.Replace(" ", ""));
        Assert.Equal(spec.Model, Valid(written).Model);
        // a preset writes none of them (its spec text, and so its trials, are as before)
        Assert.DoesNotContain("chatTemplate", SweepSpecWriter.ToJson(Valid(Minimal)));
    }

    [Fact]
    public void Writer_output_parses_back_to_the_same_spec()
    {
        foreach (var json in new[]
                 {
                     Minimal,
                     With(o => { o["task"] = JsonNode(MathTask); o["model"] = JsonNode("{\"checkpoint\": \"/m\", \"sft\": {\"enabled\": true, \"steps\": 5}}"); }),
                     With(o => o["task"] = JsonNode("{\"kind\": \"countdown\", \"numbers\": 4, \"targets\": \"byExpressions\", \"minSolutions\": 3}")),
                     With(o =>
                     {
                         o["description"] = "λ grid, \"quoted\"";
                         o["task"] = JsonNode("{\"kind\": \"arith\", \"operands\": 5, \"numberRange\": {\"min\": 2, \"max\": 9}}");
                         o["base"] = JsonNode("{\"dualClip\": 3, \"klEstimator\": \"k2\", \"klBeta\": 0.01}");
                         o["grid"] = JsonNode("{\"tau\": [0, 1.5], \"lossAggregation\": [\"token-mean\", \"seq-mean-token-sum\"]}");
                         o["resources"] = JsonNode("{\"device\": \"cuda\", \"memoryGiB\": 40, \"priority\": 3}");
                         o["maxTrials"] = 20;
                     }),
                 })
        {
            var spec = Valid(json);
            if (spec.Task.Numbers == 4)
                Assert.Equal((Dsdr.Core.Tasks.TargetChoice.ByExpressions, 3), (spec.Task.Targets, spec.Task.MinSolutions));
            var written = SweepSpecWriter.ToJson(spec);
            var again = Valid(written);
            Assert.Equal(written, SweepSpecWriter.ToJson(again));
            Assert.Equal(SweepExpander.Expand(spec).Select(t => t.TrialId), SweepExpander.Expand(again).Select(t => t.TrialId));
        }
    }

    [Fact]
    public void Eval_sampling_and_diversity_settings_are_read_and_written_back()
    {
        var spec = Valid(With(o => o["eval"] = JsonNode("""{"topP": 0.95, "diversityTemperature": 1.2, "diversityTopP": 0.8, "diversitySamples": 0}""")));
        Assert.Equal((0.95, 1.2, 0.8, 0), (spec.Eval.TopP, spec.Eval.DiversityTemperature, spec.Eval.DiversityTopP, spec.Eval.DiversitySamples));
        var again = SweepSpecParser.Parse(SweepSpecWriter.ToJson(spec)).GetSpecOrThrow();
        Assert.Equal(spec.Eval, again.Eval with { Benchmarks = spec.Eval.Benchmarks });
    }

    [Fact]
    public void System_text_json_round_trips_spec_and_sections_through_the_validator()
    {
        var spec = Valid(With(o => o["task"] = JsonNode(MathTask)));
        var json = JsonSerializer.Serialize(spec);
        var back = JsonSerializer.Deserialize<SweepSpec>(json)!;
        Assert.Equal(SweepSpecWriter.ToJson(spec), SweepSpecWriter.ToJson(back));
        Assert.Equal(spec.Task.Benchmarks, JsonSerializer.Deserialize<TaskSpec>(JsonSerializer.Serialize(spec.Task))!.Benchmarks);
        var ex = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<TaskSpec>("{\"kind\":\"sudoku\"}"));
        Assert.Contains("$.kind: unknown task kind \"sudoku\"", ex.Message);
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<SweepSpec>("{\"name\":\"x\"}"));
    }

    [Fact]
    public void Examples_are_valid()
    {
        var folder = Path.Combine(RepositoryRoot(), "examples");
        var files = Directory.GetFiles(folder, "*.json");
        Assert.Contains(files, f => Path.GetFileName(f) == "countdown-ablation.json");
        foreach (var file in files)
        {
            var result = SweepSpecParser.Parse(File.ReadAllText(file));
            Assert.True(result.IsValid, $"{Path.GetFileName(file)}:\n{string.Join("\n", result.Errors)}");
        }
    }

    [Theory]
    [InlineData("countdown-ablation.json", 5)]
    [InlineData("dsdr-lambda-grid.json", 3 + 9 * 3)] // grpo pins λd and τ: one point per seed
    [InlineData("math-qwen-gpu.json", 5)]
    public void Example_trial_counts(string file, int trials)
    {
        var spec = Valid(File.ReadAllText(Path.Combine(RepositoryRoot(), "examples", file)));
        Assert.Equal(trials, SweepExpander.Expand(spec).Count);
        Assert.Equal(trials, SweepExpander.CountTrials(spec));
    }

    [Fact]
    public void Default_ablation_example_is_the_five_arm_calibrated_countdown_sweep()
    {
        var spec = Valid(File.ReadAllText(Path.Combine(RepositoryRoot(), "examples", "countdown-ablation.json")));
        Assert.Equal(["grpo", "dapo", "dsdr", "dsdr-no-gd", "dsdr-no-gc"], spec.Arms);
        Assert.Equal(TaskKind.Countdown, spec.Task.Kind);
        Assert.Equal("countdown", spec.Model.Preset);
        var trials = SweepExpander.Expand(spec);
        Assert.Equal(5, trials.Count);
        var dsdr = trials.Single(t => t.Arm == "dsdr").Config;
        Assert.Equal(TrainingConfig.Default with { Seed = 0 }, dsdr);
    }

    private static System.Text.Json.Nodes.JsonNode JsonNode(string json) => System.Text.Json.Nodes.JsonNode.Parse(json)!;
}
