using Dsdr.Cli.Commands;

namespace Dsdr.Cli.Tests;

/// <summary>`dsdr doctor --model`: a preset's or a checkpoint's memory for one trial, against the slot.</summary>
public class ModelMemoryCheckTests
{
    private static string Checkpoint(string config)
    {
        var folder = Path.Combine(Path.GetTempPath(), "dsdr-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), config);
        return folder;
    }

    private const string Qwen3_1_7B = """
        { "model_type": "qwen3", "hidden_size": 2048, "intermediate_size": 6144, "num_hidden_layers": 28, "num_attention_heads": 16,
          "num_key_value_heads": 8, "head_dim": 128, "vocab_size": 151936, "tie_word_embeddings": true }
        """;

    [Fact]
    public void A_preset_fits_the_default_slot()
    {
        var check = ModelMemoryCheck.Run("tiny", null);
        Assert.Equal(DoctorLevel.Ok, check.Level);
        Assert.Matches(@"^preset tiny: [\d.]+ GiB for trial .* parameters, weights .* fits memoryGiB 2 GiB$", check.Finding);
    }

    [Fact]
    public void Qwen3_1_7B_exceeds_the_default_slot_with_its_figure()
    {
        var folder = Checkpoint(Qwen3_1_7B);
        var check = ModelMemoryCheck.Run(folder, null);
        Assert.Equal(DoctorLevel.Warn, check.Level);
        Assert.Contains($"qwen3 checkpoint {folder} (28 layers, d = 2048, 16 heads of 128 over 8 KV heads, vocabulary 151936, tied)", check.Finding);
        Assert.Contains("1,720,574,976 parameters", check.Finding);
        Assert.Contains("exceeds memoryGiB 2 GiB", check.Finding);
        Assert.Contains("raise resources.memoryGiB", check.Fix);
    }

    [Fact]
    public void A_spec_supplies_the_batch_and_the_slot()
    {
        var folder = Checkpoint(Qwen3_1_7B);
        var spec = Path.Combine(folder, "spec.json");
        File.WriteAllText(spec, """
            { "name": "paper", "task": { "kind": "countdown", "heldOutSize": 8 }, "model": { "preset": "tiny" }, "arms": ["dsdr"], "seeds": [1],
              "base": { "promptsPerStep": 4, "groupSize": 8, "maxNewTokens": 1024, "miniBatchesPerStep": 1 },
              "eval": { "avgK": 1, "passKSamples": 1, "diversitySamples": 0 },
              "resources": { "device": "cuda", "memoryGiB": 80 } }
            """);
        var check = ModelMemoryCheck.Run(folder, spec);
        Assert.Equal(DoctorLevel.Warn, check.Level);
        Assert.Contains("(4 × 8 sequences of", check.Finding);
        Assert.Contains("exceeds memoryGiB 80 GiB", check.Finding);
        Assert.Matches(@"it fits with gradientCheckpointing: true with maxTokensPerMicroBatch: \d+ \([\d.]+ GiB\)", check.Fix);
    }

    [Fact]
    public void A_folder_without_config_json_fails_naming_it()
    {
        var folder = Path.Combine(Path.GetTempPath(), "dsdr-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var check = ModelMemoryCheck.Run(folder, null);
        Assert.Equal(DoctorLevel.Fail, check.Level);
        Assert.Contains($"{folder} has no config.json", check.Finding);
    }
}
