using Dsdr.Core.Failures;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Training;
using Xunit;
using static Dsdr.Learning.Tests.Training.TrainingFixtures;

namespace Dsdr.Learning.Tests.Training;

/// <summary>The run-time memory bound: Core's estimate with the real prompt lengths, checked before each generation.</summary>
public class MemoryBudgetTests
{
    private static TrialSpec Trial(double memoryGiB)
    {
        var parsed = SweepSpecParser.Parse($$"""
            { "name": "budget", "task": { "kind": "countdown", "numbers": 3 }, "model": { "preset": "countdown" },
              "base": { "totalSteps": 3 }, "arms": ["grpo"], "seeds": [0], "resources": { "memoryGiB": {{memoryGiB}} } }
            """);
        Assert.True(parsed.IsValid, string.Join("; ", parsed.Errors));
        return SweepExpander.Expand(parsed.Spec!)[0];
    }

    [Fact]
    public void With_the_prompt_length_the_submission_assumed_the_run_time_estimate_is_the_submission_estimate()
    {
        var parsed = SweepSpecParser.Parse("""
            { "name": "same", "task": { "kind": "countdown", "numbers": 4 }, "model": { "preset": "countdown" },
              "base": { "totalSteps": 5, "groupSize": 8, "maxNewTokens": 64 }, "arms": ["dsdr"], "seeds": [0] }
            """);
        var trial = SweepExpander.Expand(parsed.Spec!)[0];
        var submitted = TrialCostEstimate.Estimate(trial.Config, parsed.Spec!);
        var shape = ModelShape.FromPreset(ModelPresets.Get("countdown"), TrialCostEstimate.PresetVocabulary(TaskKind.Countdown));
        var atRunTime = TrialCostEstimate.AtRunTime(trial.Config, trial, shape, submitted.PromptTokens);
        Assert.Equal(submitted, atRunTime);
        Assert.True(TrialCostEstimate.AtRunTime(trial.Config, trial, shape, submitted.PromptTokens + 500).MemoryGiB > submitted.MemoryGiB);
    }

    [Fact]
    public void Prompts_longer_than_the_budget_allows_stop_the_step_before_anything_is_generated()
    {
        var config = Config(ArmPresets.Grpo);
        var trial = Trial(1);
        var longPrompt = new string('1', 3000); // a math file's long problem: the submission counted none of it
        var problems = Enumerable.Range(0, 8).Select(i => new Problem("long", $"p{i}", longPrompt, "1")).ToList();
        using var policy = Policy();
        var sink = new MemoryTrainingSink();
        var budget = new MemoryBudget(trial, config, PolicyConfig, trial.Resources.MemoryGiB);
        using var trainer = new Trainer(policy, Tokenizer, TaskCatalog.Get("countdown"), problems, new BigramEmbedder(),
            new TrainerOptions(config, Sinks: [sink], Memory: budget));

        var error = Assert.Throws<TrialOutOfMemoryException>(() => trainer.TrainStep());
        Assert.Equal(1, error.BudgetGiB);
        Assert.Equal(budget.Cost(3000).MemoryGiB!.Value, error.NeededGiB, 12);
        Assert.True(error.NeededGiB > 1);
        Assert.StartsWith($"The trial needs ~{TrialCostEstimate.GiBText(error.NeededGiB)}, over its 1 GiB budget (resources.memoryGiB; largest part: ", error.Message);
        Assert.Contains("for sequences of 3006 tokens", error.Message);
        Assert.Contains("the longest prompt being 3000 tokens", error.Message);
        Assert.EndsWith("lower base.groupSize, base.promptsPerStep or base.maxNewTokens (or turn on base.gradientCheckpointing), or raise resources.memoryGiB.", error.Message);
        Assert.Empty(sink.Groups); // stopped before the rollouts, not after
        Assert.Equal(0, trainer.Step);
    }

    [Fact]
    public void Prompts_that_fit_train_as_without_a_budget()
    {
        var config = Config(ArmPresets.Grpo, steps: 2);
        var trial = Trial(1);
        using var policy = Policy();
        var sink = new MemoryTrainingSink();
        using var trainer = Trainer(policy, new TrainerOptions(config, Sinks: [sink], Memory: new MemoryBudget(trial, config, PolicyConfig, 1)));
        Assert.Equal(2, trainer.Run().Steps);
        Assert.Equal(2, sink.Steps.Count);
    }

    [Fact]
    public void A_budget_that_is_no_number_of_GiB_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => new MemoryBudget(Trial(1), Config(ArmPresets.Grpo), PolicyConfig, double.NaN));
        Assert.Contains("resources.memoryGiB", error.Message);
    }
}
