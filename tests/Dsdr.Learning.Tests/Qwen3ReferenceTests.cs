using System.Text.Json;
using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Model;
using Dsdr.Learning.Sampling;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests;

/// <summary>
/// Qwen3 against an independent implementation: bench/pytorch/qwen3_reference.py (written after Hugging Face's
/// modeling_qwen3, run live with Debian's PyTorch 1.13) writes a seeded random checkpoint with its own safetensors
/// writer — explicit head_dim 10 ≠ hidden 24 / 4 heads, GQA 4 over 2, q_norm/k_norm, rope_theta 1e6 — tied or untied,
/// sharded with an index or not, F32, BF16 or F16 on disk, and its per-token log-probs of a left-padded batch and
/// greedy continuations recomputed from scratch each step. The C# model loads the folder strictly and must agree.
/// </summary>
public class Qwen3ReferenceTests(ITestOutputHelper output)
{
    public static string Script() => Path.Combine(PyTorchReference.BenchFolder(), "qwen3_reference.py");

    /// <summary>Runs the reference's fixture command into a fresh folder; returns the folder.</summary>
    public static string WriteReferenceCheckpoint(string specJson)
    {
        Assert.True(PyTorchReference.Available(), PyTorchReference.Missing);
        var folder = TestModels.TempFolder();
        var (exit, _, stderr) = PyTorchReference.Run(PyTorchReference.Python, $"\"{Script()}\" fixture \"{folder}\" \"{specJson.Replace("\"", "\\\"")}\"");
        Assert.True(exit == 0, $"qwen3_reference.py fixture failed ({exit}): {stderr}");
        return folder;
    }

    [Theory]
    [InlineData(false, 1, "f32", false, 7)]
    [InlineData(true, 1, "f32", false, 8)]
    [InlineData(false, 3, "bf16", false, 9)]
    [InlineData(true, 2, "bf16", false, 10)]
    [InlineData(false, 2, "f16", true, 11)]
    public void LogProbsAndGreedyIdsMatchThePyTorchReference(bool tied, int shards, string dtype, bool attentionBias, int seed)
    {
        var folder = WriteReferenceCheckpoint(JsonSerializer.Serialize(new { tied, shards, dtype, attention_bias = attentionBias, seed }));
        Assert.Equal(shards > 1, File.Exists(Path.Combine(folder, Checkpoint.IndexFile)));
        using var model = Checkpoint.Load(folder);   // strict: every Hugging Face name present, none extra
        Assert.IsType<Qwen3ForCausalLM>(model);
        Assert.Equal(10, model.Config.HeadDim);
        Assert.Equal(tied, model.Config.TieWordEmbeddings);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        model.eval();

        var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "expected.json"))).RootElement;
        long[][] Rows(string name) => expected.GetProperty(name).EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray();
        var ids = Rows("ids");
        var mask = Rows("mask");
        var worst = 0.0;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var logProbs = model.Forward(tensor(ids.SelectMany(r => r).ToArray(), [ids.Length, ids[0].Length]),
                                         tensor(mask.SelectMany(r => r).ToArray(), [mask.Length, mask[0].Length])).log_softmax(-1);
            var compared = 0;
            foreach (var (row, b) in expected.GetProperty("token_logprobs").EnumerateArray().Select((r, b) => (r, b)))
                foreach (var (value, t) in row.EnumerateArray().Select((v, t) => (v, t)))
                {
                    if (value.ValueKind == JsonValueKind.Null) continue;
                    worst = Math.Max(worst, Math.Abs(logProbs[b, t, ids[b][t + 1]].item<float>() - value.GetDouble()));
                    compared++;
                }
            Assert.Equal(17, compared);
        }
        Assert.True(worst < 1e-4, $"per-token log-probs differ from the PyTorch reference by up to {worst}");

        var sampler = new Sampler(model, eosId: null);
        var worstGreedy = 0.0;
        foreach (var case_ in expected.GetProperty("greedy").EnumerateArray())
        {
            var prompt = case_.GetProperty("prompt").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var referenceIds = case_.GetProperty("ids").EnumerateArray().Select(v => v.GetInt32()).ToArray();
            var referenceLogProbs = case_.GetProperty("logprobs").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var completion = sampler.Generate([prompt], new SamplingOptions(MaxNewTokens: referenceIds.Length, Temperature: 0, StopOnEos: false))[0];
            Assert.Equal(referenceIds, completion.TokenIds);
            worstGreedy = Math.Max(worstGreedy, completion.LogProbs.Zip(referenceLogProbs, (a, r) => Math.Abs(a - r)).Max());
        }
        Assert.True(worstGreedy < 1e-4, $"greedy log-probs differ from the PyTorch reference by up to {worstGreedy}");
        output.WriteLine($"tied={tied} shards={shards} {dtype}: max |Δ log p| {worst:E2} (batch), {worstGreedy:E2} (greedy)");
    }

    [Fact]
    public void SavedQwen3CheckpointReloadsAsQwen3WithItsHeadDim()
    {
        var folder = WriteReferenceCheckpoint("""{"tied": false, "shards": 1, "dtype": "f32"}""");
        using var model = Checkpoint.Load(folder);
        var copy = TestModels.TempFolder();
        Checkpoint.Save(model, copy, maxShardBytes: 20_000);
        Assert.True(File.Exists(Path.Combine(copy, Checkpoint.IndexFile)));
        var config = File.ReadAllText(Path.Combine(copy, Checkpoint.ConfigFile));
        Assert.Contains("\"model_type\": \"qwen3\"", config);
        Assert.Contains("\"head_dim\": 10", config);
        using var reloaded = Checkpoint.Load(copy);
        Assert.IsType<Qwen3ForCausalLM>(reloaded);
        using var input = tensor(new long[] { 3, 14, 25, 6, 1, 2 }, [1, 6]);
        using var noGrad = no_grad();
        using var a = model.forward(input);
        using var b = reloaded.forward(input);
        Assert.Equal(0f, TestModels.MaxAbsDiff(a, b));
    }
}
