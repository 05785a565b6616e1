using System.Text;

namespace Dsdr.Cli.Tests;

/// <summary>Issue 18 from the command line: what the platform or the spec validation refuses exits 2 with the reason.</summary>
public class HostileInputCommandTests
{
    private static string Write(string json, string name = "spec.json") => Write(Encoding.UTF8.GetBytes(json), name);

    private static string Write(byte[] bytes, string name)
    {
        var folder = Path.Combine(Path.GetTempPath(), "dsdr-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string TrainSpec(string task, string baseJson = "{ \"totalSteps\": 2 }") => $$"""
        {
          "name": "hostile-train",
          "task": {{task}},
          "model": { "preset": "countdown", "sft": { "enabled": false } },
          "base": {{baseJson}},
          "arms": ["grpo"],
          "seeds": [0]
        }
        """;

    [Fact]
    public void Train_on_a_task_with_too_few_problems_exits_2_naming_the_field()
    {
        var config = Write(TrainSpec("""{ "kind": "countdown", "numberRange": { "min": 1, "max": 3 }, "trainSize": 10000 }"""));
        var result = CliRunner.Run("train", "--config", config, "--device", "cpu", "--out", Path.Combine(Path.GetDirectoryName(config)!, "run"));
        Assert.Equal(2, result.Exit);
        Assert.Contains("$.task.trainSize: the task has only 63 distinct training problems", result.Error);
        Assert.DoesNotContain("   at ", result.Error); // no stack trace
    }

    [Fact]
    public void Train_on_a_task_the_generator_cannot_make_exits_2_with_its_message()
    {
        // a large space passes the upper bound; no expression of three numbers up to 100 reaches 999999
        var config = Write(TrainSpec("""{ "kind": "countdown", "numberRange": { "min": 1, "max": 100 }, "targetRange": { "min": 999999, "max": 999999 } }"""));
        var result = CliRunner.Run("train", "--config", config, "--device", "cpu", "--threads", "1", "--out", Path.Combine(Path.GetDirectoryName(config)!, "run"));
        Assert.Equal(2, result.Exit);
        Assert.StartsWith("dsdr: $.task: the task's problems cannot be made: No reachable target in [999999, 999999]", result.Error);
        Assert.DoesNotContain("   at ", result.Error);
    }

    [Theory]
    [InlineData("train", "{ \"groupSize\": 1000000 }", "$.base.groupSize: must be ≤ 1024")]
    [InlineData("train", "{ \"maxNewTokens\": 10000000 }", "$.base.maxNewTokens: must be ≤ 32768")]
    [InlineData("demo", "{ \"totalSteps\": 2147483647 }", "$.base.totalSteps: must be ≤ 1000000")]
    [InlineData("demo", "{ \"learningRate\": 1e308 }", "$.base.learningRate: must be ≤ 1")]
    [InlineData("expand", "{ \"totalSteps\": 200000 }", "limit of 100000 steps per trial (Dsdr:Limits:MaxStepsPerTrial)")]
    [InlineData("train", "{ \"promptsPerStep\": 1024, \"groupSize\": 1024, \"maxNewTokens\": 4096 }", "$.base.maxNewTokens: the trial needs about")]
    public void Absurd_specs_exit_2_before_anything_starts(string command, string baseJson, string reason)
    {
        var spec = Write(TrainSpec("""{ "kind": "countdown" }""", baseJson));
        var result = command switch
        {
            "train" => CliRunner.Run("train", "--config", spec, "--device", "cpu"),
            "demo" => CliRunner.Run("demo", "--spec", spec, "--simulated", "--data-dir", Path.Combine(Path.GetDirectoryName(spec)!, "data")),
            _ => CliRunner.Run("sweep", "expand", spec),
        };
        Assert.Equal(2, result.Exit);
        Assert.Contains(reason, result.Error);
        Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(spec)!, "data", "postgres")), "the demo started a platform");
    }

    [Fact]
    public void A_spec_file_that_is_not_utf8_exits_2()
    {
        var bytes = Encoding.UTF8.GetBytes(TrainSpec("""{ "kind": "countdown" }""").Replace("hostile-train", "hostile-\u00e9"));
        var at = Array.IndexOf(bytes, (byte)0xC3);
        bytes[at + 1] = (byte)'x'; // the lead byte loses its continuation
        var result = CliRunner.Run("sweep", "expand", Write(bytes, "latin.json"));
        Assert.Equal(2, result.Exit);
        Assert.Contains("is not valid UTF-8 text", result.Error);
    }

    [Fact]
    public void Key_without_a_saved_key_exits_1_saying_how_one_is_made()
    {
        var folder = Path.Combine(Path.GetTempPath(), "dsdr-cli-tests", Guid.NewGuid().ToString("N"));
        var result = CliRunner.Run("key", "--data-dir", folder);
        Assert.Equal(1, result.Exit);
        Assert.Contains("generates one at its first start", result.Error);
    }
}

/// <summary>The same against a running platform: its data roots, and the key command.</summary>
[Collection(PlatformCollection.Name)]
public class HostileInputPlatformTests(PlatformFixture platform)
{
    [Fact]
    public void Submit_of_a_file_outside_the_data_roots_exits_2_with_the_platforms_reason()
    {
        const string spec = """
            { "name": "cli-passwd",
              "task": { "kind": "math", "trainPath": "/etc/passwd", "benchmarks": [ { "name": "m", "path": "/etc/shadow" } ] },
              "model": { "preset": "tiny", "sft": { "enabled": false } }, "arms": ["grpo"], "seeds": [0] }
            """;
        var result = CliRunner.RunWithInput(spec, "sweep", "submit", "-", "--api", platform.Url, "--api-key", platform.ApiKey);
        Assert.Equal(2, result.Exit);
        Assert.Contains("$.task.trainPath: \"/etc/passwd\" is outside the platform's data roots", result.Error);
        Assert.Contains("$.task.benchmarks[0].path", result.Error);
        Assert.DoesNotContain("root:", result.Error);
    }

    [Fact]
    public void Key_prints_the_saved_key_of_a_data_folder()
    {
        var result = CliRunner.Run("key", "--data-dir", platform.DataDirectory);
        Assert.True(result.Exit == 0, result.Error);
        Assert.Equal(platform.ApiKey, result.Output.Trim());
    }
}
