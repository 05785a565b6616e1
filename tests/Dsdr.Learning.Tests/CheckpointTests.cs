using System.Text;
using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Model;
using Dsdr.Learning.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests;

public class CheckpointTests
{
    private static readonly long[] Ids = [1, 7, 3, 12, 5, 19, 0, 4];

    private static Tensor Logits(Qwen2ForCausalLM model)
    {
        using var input = tensor(Ids, [2, 4]);
        using var noGrad = no_grad();
        return model.forward(input);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SaveThenLoadGivesIdenticalLogits(bool tied)
    {
        var folder = TestModels.TempFolder();
        using var model = TestModels.Create(TestModels.Micro(tied));
        Checkpoint.Save(model, folder, new CharTokenizer("0123456789+-*/="));
        Assert.True(File.Exists(Path.Combine(folder, "config.json")));
        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(folder, CharTokenizer.FileName)));

        using var loaded = Checkpoint.Load(folder);
        using var expected = Logits(model);
        using var actual = Logits(loaded);
        Assert.Equal(0f, TestModels.MaxAbsDiff(expected, actual));
        Assert.Equal((model.Config with { TorchDtype = "float32" }).ToJson(), loaded.Config.ToJson());
        var names = SafeTensors.ReadHeader(Path.Combine(folder, "model.safetensors")).Entries.Select(e => e.Name).ToList();
        Assert.Equal(!tied, names.Contains("lm_head.weight"));
    }

    [Fact]
    public void ShardedCheckpointRoundTrips()
    {
        var folder = TestModels.TempFolder();
        using var model = TestModels.Create(TestModels.Micro());
        Checkpoint.Save(model, folder, maxShardBytes: 12_000);
        Assert.True(File.Exists(Path.Combine(folder, Checkpoint.IndexFile)));
        Assert.False(File.Exists(Path.Combine(folder, Checkpoint.WeightsFile)));
        Assert.True(Checkpoint.WeightFiles(folder).Count > 1);
        using var loaded = Checkpoint.Load(folder);
        using var expected = Logits(model);
        using var actual = Logits(loaded);
        Assert.Equal(0f, TestModels.MaxAbsDiff(expected, actual));

        // saving again unsharded replaces the shards
        Checkpoint.Save(model, folder);
        Assert.Equal([Path.Combine(folder, Checkpoint.WeightsFile)], Checkpoint.WeightFiles(folder));
        Assert.Single(Directory.GetFiles(folder, "*.safetensors"));
    }

    [Fact]
    public void BFloat16WeightsLoadWidenedOrKept()
    {
        var folder = TestModels.TempFolder();
        using var model = TestModels.Create(TestModels.Micro());
        Checkpoint.Save(model, folder, dtype: ScalarType.BFloat16);
        Assert.All(SafeTensors.ReadHeader(Path.Combine(folder, "model.safetensors")).Entries, e => Assert.Equal("BF16", e.DType));
        Assert.Contains("\"torch_dtype\": \"bfloat16\"", File.ReadAllText(Path.Combine(folder, "config.json")));

        using var widened = Checkpoint.Load(folder);
        Assert.All(widened.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        var original = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in widened.named_parameters())
        {
            using var rounded = original[name].to(ScalarType.BFloat16).to(ScalarType.Float32);
            Assert.Equal(0f, TestModels.MaxAbsDiff(rounded, p));
        }

        using var kept = Checkpoint.Load(folder, new CheckpointLoadOptions(DType: null));
        Assert.All(kept.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        using var keptLogits = Logits(kept);
        using var widenedLogits = Logits(widened);
        Assert.Equal(ScalarType.BFloat16, keptLogits.dtype);
        // same weights, bf16 arithmetic: close, not equal
        Assert.True(TestModels.MaxAbsDiff(keptLogits.to(ScalarType.Float32), widenedLogits) < 0.5);

        // a bfloat16 model samples too (bfloat16 KV cache, float32 sampling)
        var completions = new Dsdr.Learning.Sampling.Sampler(kept, eosId: null)
            .Generate([[1, 2, 3], [4]], new Dsdr.Learning.Sampling.SamplingOptions(MaxNewTokens: 5, Seed: 1));
        Assert.All(completions, c => Assert.Equal(5, c.Length));
        Assert.All(completions.SelectMany(c => c.LogProbs), lp => Assert.True(float.IsFinite(lp) && lp <= 0));
    }

    // An independent safetensors writer (no code shared with the library): header JSON + raw little-endian floats.
    private static void WriteSafetensorsByHand(string path, IReadOnlyList<(string Name, long[] Shape, float[] Data)> tensors)
    {
        var header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        foreach (var (name, shape, data) in tensors)
        {
            header.Append($",\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offset},{offset + data.Length * 4}]}}");
            offset += data.Length * 4;
        }
        header.Append('}');
        var headerBytes = Encoding.UTF8.GetBytes(header.ToString());
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((long)headerBytes.Length));
        file.Write(headerBytes);
        foreach (var (_, _, data) in tensors)
            foreach (var value in data) file.Write(BitConverter.GetBytes(value));
    }

    private static List<(string Name, long[] Shape, float[] Data)> HandMadeTensors(Qwen2Config config)
    {
        // values v_k = sin(k + 31·i) / 5 for the i-th tensor, in Hugging Face names and shapes
        var list = new List<(string, long[], float[])>();
        void Add(string name, params long[] shape)
        {
            var count = shape.Aggregate(1L, (a, b) => a * b);
            var index = list.Count;
            list.Add((name, shape, Enumerable.Range(0, (int)count).Select(k => (float)(Math.Sin(k + 31 * index) / 5)).ToArray()));
        }
        long d = config.HiddenSize, kv = config.NumKeyValueHeads * config.HeadDim, ff = config.IntermediateSize;
        Add("model.embed_tokens.weight", config.VocabSize, d);
        for (var l = 0; l < config.NumHiddenLayers; l++)
        {
            var p = $"model.layers.{l}.";
            Add(p + "self_attn.q_proj.weight", d, d); Add(p + "self_attn.q_proj.bias", d);
            Add(p + "self_attn.k_proj.weight", kv, d); Add(p + "self_attn.k_proj.bias", kv);
            Add(p + "self_attn.v_proj.weight", kv, d); Add(p + "self_attn.v_proj.bias", kv);
            Add(p + "self_attn.o_proj.weight", d, d);
            Add(p + "mlp.gate_proj.weight", ff, d); Add(p + "mlp.up_proj.weight", ff, d); Add(p + "mlp.down_proj.weight", d, ff);
            Add(p + "input_layernorm.weight", d); Add(p + "post_attention_layernorm.weight", d);
        }
        Add("model.norm.weight", d);
        Add("lm_head.weight", config.VocabSize, d);
        return list;
    }

    [Fact]
    public void HandWrittenHuggingFaceFileLoadsStrictly()
    {
        var folder = TestModels.TempFolder();
        var config = TestModels.Micro();
        config.Save(Path.Combine(folder, "config.json"));
        var tensors = HandMadeTensors(config);
        WriteSafetensorsByHand(Path.Combine(folder, "model.safetensors"), tensors);

        using var model = Checkpoint.Load(folder);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Equal(tensors.Count, parameters.Count);
        foreach (var (name, shape, data) in tensors)
        {
            Assert.Equal(shape, parameters[name].shape);
            Assert.Equal(data, parameters[name].data<float>().ToArray());
        }
    }

    [Fact]
    public void WrongNamesFailWithTheListOfMissingAndUnexpected()
    {
        var folder = TestModels.TempFolder();
        var config = TestModels.Micro();
        config.Save(Path.Combine(folder, "config.json"));
        var tensors = HandMadeTensors(config)
            .Select(t => t.Name == "model.norm.weight" ? ("model.final_norm.weight", t.Shape, t.Data) : t)
            .Where(t => t.Item1 != "model.layers.1.mlp.up_proj.weight")
            .ToList();
        WriteSafetensorsByHand(Path.Combine(folder, "model.safetensors"), tensors);

        var error = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.Load(folder));
        Assert.Equal(["model.layers.1.mlp.up_proj.weight", "model.norm.weight"], error.Missing);
        Assert.Equal(["model.final_norm.weight"], error.Unexpected);
        Assert.Contains("missing 2: model.layers.1.mlp.up_proj.weight, model.norm.weight", error.Message);
        Assert.Contains("unexpected 1: model.final_norm.weight", error.Message);

        // non-strict: loads what matches and reports the rest
        using var model = new Qwen2ForCausalLM(config);
        var report = Checkpoint.LoadWeights(model, folder, strict: false);
        Assert.Equal(error.Missing, report.Missing);
        Assert.Equal(error.Unexpected, report.Unexpected);
    }

    [Fact]
    public void WrongShapeFailsNamingTheTensor()
    {
        var folder = TestModels.TempFolder();
        var config = TestModels.Micro();
        config.Save(Path.Combine(folder, "config.json"));
        var tensors = HandMadeTensors(config with { IntermediateSize = 40 });
        WriteSafetensorsByHand(Path.Combine(folder, "model.safetensors"), tensors);
        var error = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.Load(folder));
        Assert.Contains("model.layers.0.mlp.gate_proj.weight (file [40, 32], model [48, 32])", error.Message);
    }

    [Fact]
    public void MissingFilesGiveClearErrors()
    {
        var absent = Path.Combine(TestModels.TempFolder(), "nope");
        Assert.Contains("does not exist", Assert.Throws<DirectoryNotFoundException>(() => Checkpoint.Load(absent)).Message);

        var empty = TestModels.TempFolder();
        Assert.Contains("config.json", Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(empty)).Message);

        TestModels.Micro().Save(Path.Combine(empty, "config.json"));
        Assert.Contains("model.safetensors", Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(empty)).Message);

        File.WriteAllBytes(Path.Combine(empty, "model.safetensors"), [1, 2, 3]);
        Assert.Contains("not a safetensors file", Assert.Throws<InvalidDataException>(() => Checkpoint.Load(empty)).Message);
    }
}
