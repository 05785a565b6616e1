using System.Text.Json;
using Xunit;

namespace Dsdr.Cli.Tests;

public class TrainCommandTests
{
    private const string TinyConfig = """
        {
          "name": "tiny-train",
          "task": { "kind": "countdown", "trainSize": 40, "heldOutSize": 8 },
          "model": { "preset": "countdown", "sft": { "enabled": false } },
          "base": { "totalSteps": 2, "promptsPerStep": 2, "groupSize": 2, "miniBatchesPerStep": 2, "maxNewTokens": 6,
                    "overlongBufferLength": 2, "learningRate": 0.001 },
          "arms": ["dsdr", "grpo"],
          "seeds": [3],
          "eval": { "everySteps": 1, "atStart": false, "avgK": 2, "passKSamples": 2 }
        }
        """;

    private static string WriteConfig(string json)
    {
        var folder = Path.Combine(Path.GetTempPath(), "dsdr-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "config.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void Trains_a_tiny_config_writes_jsonl_metrics_and_resumes()
    {
        var config = WriteConfig(TinyConfig);
        var output = Path.Combine(Path.GetDirectoryName(config)!, "run");

        var first = CliRunner.Run("train", "--config", config, "--arm", "grpo", "--out", output, "--steps", "1", "--device", "cpu", "--threads", "1");
        Assert.True(first.Exit == 0, first.Error + first.Output);
        Assert.Contains("step 1/1", first.Output);
        Assert.Single(File.ReadAllLines(Path.Combine(output, "metrics.jsonl")));

        var again = CliRunner.Run("train", "--config", config, "--arm", "grpo", "--out", output, "--device", "cpu");
        Assert.Equal(2, again.Exit);
        Assert.Contains("--resume", again.Error);

        var resumed = CliRunner.Run("train", "--config", config, "--arm", "grpo", "--out", output, "--resume", "--device", "cpu", "--threads", "1");
        Assert.True(resumed.Exit == 0, resumed.Error + resumed.Output);
        Assert.Contains("resumed at step 1", resumed.Output);
        Assert.Contains("step 2/2", resumed.Output);
        var lines = File.ReadAllLines(Path.Combine(output, "metrics.jsonl"));
        Assert.Equal([1, 2], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()));
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "summary.json")));
        Assert.Equal(2, summary.RootElement.GetProperty("steps").GetInt32());
        Assert.Equal("grpo", JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "trial.json"))).RootElement.GetProperty("arm").GetString());
        Assert.NotEmpty(File.ReadAllLines(Path.Combine(output, "groups.jsonl")));
        // eval every step: one report per step, the last printed as the summary
        Assert.Equal([1, 2], File.ReadAllLines(Path.Combine(output, "evals.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32()));
        Assert.Contains("evaluation at step 2:", resumed.Output);
        Assert.Contains("avg@2", resumed.Output);
    }

    [Theory]
    [InlineData("\"preset\": \"countdown\"", "\"preset\": \"huge\"", "$.model.preset")]
    [InlineData("\"groupSize\": 2", "\"groupSize\": 1", "$.base.groupSize")]
    [InlineData("\"arms\": [\"dsdr\", \"grpo\"]", "\"arms\": [\"dsdr\", \"grpo\"], \"grid\": {\"lambdaD\": [0.1, 0.2]}", "$.grid")]
    public void A_bad_config_exits_2_naming_the_field(string from, string to, string field)
    {
        var config = WriteConfig(TinyConfig.Replace(from, to));
        var result = CliRunner.Run("train", "--config", config, "--arm", "dsdr", "--device", "cpu");
        Assert.Equal(2, result.Exit);
        Assert.Contains(field, result.Error);
    }

    [Fact]
    public void Several_arms_need_an_arm_choice_that_the_config_lists()
    {
        var config = WriteConfig(TinyConfig);
        var none = CliRunner.Run("train", "--config", config);
        Assert.Equal(2, none.Exit);
        Assert.Contains("--arm", none.Error);
        var unknown = CliRunner.Run("train", "--config", config, "--arm", "dapo");
        Assert.Equal(2, unknown.Exit);
        Assert.Contains("\"dapo\" is not one of the config's arms", unknown.Error);
        var missing = CliRunner.Run("train", "--config", "/nonexistent/config.json");
        Assert.Equal(2, missing.Exit);
    }

    [Fact]
    public void The_example_config_is_one_trial_per_arm()
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "examples", "countdown-train.json"));
        var spec = Commands.SweepCommand.Parse(text);
        foreach (var arm in spec.Arms)
        {
            var trial = Commands.TrainCommand.SelectTrial(spec, arm, null);
            Assert.Equal(arm, trial.Arm);
            Assert.Equal("countdown", trial.Model.Preset);
            Assert.Equal((16, 8, 150), (trial.Config.PromptsPerStep, trial.Config.GroupSize, trial.Config.TotalSteps));
        }
    }
}
