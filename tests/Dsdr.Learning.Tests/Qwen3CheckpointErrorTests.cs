using System.Text;
using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Model;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests;

/// <summary>Hand-broken Qwen3 checkpoints: each load fails with an error naming the file and what is wrong in it.</summary>
public class Qwen3CheckpointErrorTests
{
    public static Qwen3Config Micro(bool tied = false) => new()
    {
        VocabSize = 20, HiddenSize = 24, IntermediateSize = 40, NumHiddenLayers = 2, NumAttentionHeads = 4,
        NumKeyValueHeads = 2, HeadDimension = 10, TieWordEmbeddings = tied, MaxPositionEmbeddings = 64, RopeTheta = 1e6,
    };

    private static string SavedCheckpoint(long maxShardBytes = 5L << 30)
    {
        var folder = TestModels.TempFolder();
        using var model = new Qwen3ForCausalLM(Micro(), initSeed: 3);
        Checkpoint.Save(model, folder, maxShardBytes: maxShardBytes);
        return folder;
    }

    [Fact]
    public void ATruncatedSafetensorsFileNamesTheFileAndTheTensorPastItsEnd()
    {
        var folder = SavedCheckpoint();
        var file = Path.Combine(folder, Checkpoint.WeightsFile);
        using (var stream = File.Open(file, FileMode.Open)) stream.SetLength(stream.Length - 100);
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(folder));
        Assert.Contains(file, error.Message);
        Assert.Contains("data_offsets", error.Message);
        Assert.Contains("tensor ", error.Message);
    }

    [Fact]
    public void AWeightStoredAsIntegersNamesTheFileTheTensorAndItsDtype()
    {
        var folder = SavedCheckpoint();
        var file = Path.Combine(folder, Checkpoint.WeightsFile);
        var tensors = SafeTensors.Load(file);
        tensors["model.layers.0.self_attn.q_norm.weight"] = tensors["model.layers.0.self_attn.q_norm.weight"].to(ScalarType.Int32);
        SafeTensors.Save(file, tensors);
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(folder));
        Assert.Contains(file, error.Message);
        Assert.Contains("model.layers.0.self_attn.q_norm.weight", error.Message);
        Assert.Contains("I32", error.Message);
    }

    [Fact]
    public void AnUnknownSafetensorsDtypeNamesTheFileAndTheTensor()
    {
        var folder = SavedCheckpoint();
        var file = Path.Combine(folder, Checkpoint.WeightsFile);
        var bytes = File.ReadAllBytes(file);
        var header = Encoding.UTF8.GetString(bytes, 8, (int)BitConverter.ToInt64(bytes, 0));
        var at = header.IndexOf("\"model.norm.weight\"", StringComparison.Ordinal);
        var dtypeAt = header.IndexOf("\"F32\"", at, StringComparison.Ordinal);
        var patched = header[..dtypeAt] + "\"X32\"" + header[(dtypeAt + 5)..];   // same length: offsets stay valid
        Encoding.UTF8.GetBytes(patched).CopyTo(bytes, 8);
        File.WriteAllBytes(file, bytes);
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(folder));
        Assert.Contains(file, error.Message);
        Assert.Contains("model.norm.weight", error.Message);
        Assert.Contains("X32", error.Message);
    }

    [Fact]
    public void ShardsWithoutTheirIndexSayTheIndexIsMissing()
    {
        var folder = SavedCheckpoint(maxShardBytes: 8_000);
        File.Delete(Path.Combine(folder, Checkpoint.IndexFile));
        var error = Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(folder));
        Assert.Contains(Checkpoint.IndexFile, error.Message);
        Assert.Contains("model-00001-of-", error.Message);
    }

    [Fact]
    public void AMissingShardIsNamedWithTheIndexThatListsIt()
    {
        var folder = SavedCheckpoint(maxShardBytes: 8_000);
        var shards = Checkpoint.WeightFiles(folder);
        Assert.True(shards.Count > 2);
        File.Delete(shards[1]);
        var error = Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(folder));
        Assert.Contains(Path.GetFileName(shards[1]), error.Message);
        Assert.Contains(Path.Combine(folder, Checkpoint.IndexFile), error.Message);
    }

    [Fact]
    public void AnIndexThatPutsATensorInTheWrongShardNamesTheTensor()
    {
        var folder = SavedCheckpoint(maxShardBytes: 8_000);
        var indexPath = Path.Combine(folder, Checkpoint.IndexFile);
        var index = File.ReadAllText(indexPath);
        var shards = Checkpoint.WeightFiles(folder).Select(Path.GetFileName).ToList();
        var embed = "\"model.embed_tokens.weight\": \"" + shards[0] + "\"";
        Assert.Contains(embed, index);
        File.WriteAllText(indexPath, index.Replace(embed, "\"model.embed_tokens.weight\": \"" + shards[^1] + "\""));
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(folder));
        Assert.Contains("model.embed_tokens.weight", error.Message);
        Assert.Contains(indexPath, error.Message);
    }

    [Fact]
    public void AMissingTensorIsNamedWithTheCheckpointsFiles()
    {
        var folder = SavedCheckpoint();
        var file = Path.Combine(folder, Checkpoint.WeightsFile);
        var tensors = SafeTensors.Load(file);
        tensors.Remove("model.layers.1.self_attn.k_norm.weight");
        SafeTensors.Save(file, tensors);
        var error = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.Load(folder));
        Assert.Equal(["model.layers.1.self_attn.k_norm.weight"], error.Missing);
        Assert.Contains("model.layers.1.self_attn.k_norm.weight", error.Message);
        Assert.Contains(Checkpoint.WeightsFile, error.Message);
        Assert.Contains("qwen3", error.Message);
    }

    [Fact]
    public void AnUnknownModelTypeNamesTheConfigFile()
    {
        var folder = SavedCheckpoint();
        var configPath = Path.Combine(folder, Checkpoint.ConfigFile);
        File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"qwen3\"", "\"llama\""));
        var error = Assert.Throws<NotSupportedException>(() => Checkpoint.Load(folder));
        Assert.Contains(configPath, error.Message);
        Assert.Contains("'llama'", error.Message);
        Assert.Contains("qwen2, qwen3", error.Message);
    }

    [Fact]
    public void AQwen3ConfigCannotBuildAQwen2Model()
    {
        Assert.Throws<ArgumentException>(() => new Qwen2ForCausalLM(Micro()));
        using var model = Qwen2ForCausalLM.Create(Micro());
        Assert.IsType<Qwen3ForCausalLM>(model);
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.Contains("model.layers.0.self_attn.q_norm.weight", names);
        Assert.Contains("model.layers.1.self_attn.k_norm.weight", names);
        Assert.DoesNotContain(names, n => n.EndsWith(".bias", StringComparison.Ordinal));
        Assert.Equal([40, 24], model.named_parameters().Single(p => p.name == "model.layers.0.self_attn.q_proj.weight").parameter.shape);
    }

    [Theory]
    [InlineData("qwen3", false, false)]
    [InlineData("qwen3", true, false)]
    [InlineData("qwen3", false, true)]
    [InlineData("qwen2", false, false)]
    [InlineData("qwen2", true, false)]
    public void The_memory_estimate_reads_the_parameter_count_the_model_has_from_config_json(string family, bool tied, bool bias)
    {
        var folder = TestModels.TempFolder();
        using var model = family == "qwen3"
            ? Qwen2ForCausalLM.Create(Micro(tied) with { AttentionBias = bias })
            : new Qwen2ForCausalLM(TestModels.Micro(tied));
        Checkpoint.Save(model, folder);
        var shape = Dsdr.Core.Sweeps.ModelShape.FromCheckpoint(folder)!;
        Assert.Equal(model.ParameterCount(), shape.Parameters());
        Assert.Equal(model.Config.HeadDim, shape.HeadDim);
    }
}
