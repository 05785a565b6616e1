using System.Text.Json;
using Dsdr.Learning.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests;

public class ModelTests
{
    [Fact]
    public void ParameterNamesAreHuggingFaceNames()
    {
        using var model = TestModels.Create(TestModels.Micro(tied: false));
        var names = model.named_parameters().Select(p => p.name).Order(StringComparer.Ordinal).ToList();
        var expected = new List<string> { "lm_head.weight", "model.embed_tokens.weight", "model.norm.weight" };
        for (var layer = 0; layer < 2; layer++)
        {
            var prefix = $"model.layers.{layer}.";
            expected.AddRange([
                prefix + "input_layernorm.weight", prefix + "post_attention_layernorm.weight",
                prefix + "mlp.gate_proj.weight", prefix + "mlp.up_proj.weight", prefix + "mlp.down_proj.weight",
                prefix + "self_attn.q_proj.weight", prefix + "self_attn.q_proj.bias",
                prefix + "self_attn.k_proj.weight", prefix + "self_attn.k_proj.bias",
                prefix + "self_attn.v_proj.weight", prefix + "self_attn.v_proj.bias",
                prefix + "self_attn.o_proj.weight",
            ]);
        }
        Assert.Equal(expected.Order(StringComparer.Ordinal), names);
        var shapes = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        Assert.Equal([16L, 32], shapes["model.layers.0.self_attn.k_proj.weight"]);   // 2 KV heads × 8
        Assert.Equal([32L, 32], shapes["model.layers.0.self_attn.o_proj.weight"]);
        Assert.Equal([48L, 32], shapes["model.layers.1.mlp.gate_proj.weight"]);
        Assert.Equal([20L, 32], shapes["lm_head.weight"]);
    }

    [Fact]
    public void TiedModelHasNoSeparateHead()
    {
        using var model = TestModels.Create(TestModels.Micro(tied: true));
        Assert.DoesNotContain(model.named_parameters(), p => p.name == "lm_head.weight");
        // the head is the embedding: logits = h · Eᵀ
        using var ids = tensor(new long[] { 3, 4, 5 }, [1, 3]);
        using var logits = model.forward(ids);
        Assert.Equal([1L, 3, 20], logits.shape);
    }

    [Theory]
    [InlineData("tiny", 64, 0.95e6, 1.05e6)]
    [InlineData("small", 64, 9.5e6, 10.5e6)]
    [InlineData("countdown", 21, 0.18e6, 0.22e6)]
    [InlineData("countdown-wide", 21, 0.7e6, 0.9e6)]
    public void PresetsHaveTheAdvertisedSize(string preset, int vocab, double low, double high)
    {
        using var model = new Qwen2ForCausalLM(Qwen2Config.Preset(preset, vocab));
        var count = model.ParameterCount();
        Assert.InRange(count, (long)low, (long)high);
    }

    [Fact]
    public void ConfigReadsAndWritesHuggingFaceJson()
    {
        const string hf = """
        {"architectures":["Qwen2ForCausalLM"],"attention_dropout":0.0,"bos_token_id":151643,"eos_token_id":151643,
         "hidden_act":"silu","hidden_size":1536,"initializer_range":0.02,"intermediate_size":8960,
         "max_position_embeddings":4096,"max_window_layers":21,"model_type":"qwen2","num_attention_heads":12,
         "num_hidden_layers":28,"num_key_value_heads":2,"rms_norm_eps":1e-06,"rope_theta":10000.0,"sliding_window":4096,
         "tie_word_embeddings":true,"torch_dtype":"bfloat16","use_cache":true,"use_sliding_window":false,"vocab_size":151936}
        """;
        var config = Qwen2Config.FromJson(hf);
        Assert.Equal(1536, config.HiddenSize);
        Assert.Equal(8960, config.IntermediateSize);
        Assert.Equal(28, config.NumHiddenLayers);
        Assert.Equal(12, config.NumAttentionHeads);
        Assert.Equal(2, config.NumKeyValueHeads);
        Assert.Equal(128, config.HeadDim);
        Assert.Equal(1e-6, config.RmsNormEps);
        Assert.True(config.TieWordEmbeddings);
        Assert.Equal(151936, config.VocabSize);

        var written = JsonDocument.Parse(config.ToJson()).RootElement;
        Assert.Equal(1536, written.GetProperty("hidden_size").GetInt32());
        Assert.Equal(2, written.GetProperty("num_key_value_heads").GetInt32());
        Assert.Equal(151643, written.GetProperty("eos_token_id").GetInt32());   // fields we do not use survive
        Assert.Equal(config.ToJson(), Qwen2Config.FromJson(config.ToJson()).ToJson());
    }

    [Theory]
    [InlineData("\"rope_scaling\":{\"type\":\"yarn\",\"factor\":4.0}", "rope_scaling")]
    [InlineData("\"use_sliding_window\":true", "use_sliding_window")]
    [InlineData("\"hidden_act\":\"gelu\"", "hidden_act")]
    [InlineData("\"num_key_value_heads\":3", "num_key_value_heads")]
    public void ConfigRejectsWhatTheModelDoesNotImplement(string field, string named)
    {
        var json = "{\"vocab_size\":10,\"hidden_size\":16,\"intermediate_size\":32,\"num_hidden_layers\":1,"
                   + "\"num_attention_heads\":2,\"num_key_value_heads\":2,\"max_position_embeddings\":16," + field + "}";
        var error = Record.Exception(() => Qwen2Config.FromJson(json));
        Assert.NotNull(error);
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void LogitsAtAPositionIgnoreLaterTokens()
    {
        using var model = TestModels.Create(TestModels.Micro());
        using var scope = NewDisposeScope();
        var a = model.forward(tensor(new long[] { 1, 2, 3, 4, 5, 6 }, [1, 6]));
        var b = model.forward(tensor(new long[] { 1, 2, 3, 9, 9, 9 }, [1, 6]));
        Assert.True(TestModels.MaxAbsDiff(a.narrow(1, 0, 3), b.narrow(1, 0, 3)) < 1e-5);
        Assert.True(TestModels.MaxAbsDiff(a.narrow(1, 3, 1), b.narrow(1, 3, 1)) > 1e-3);
    }

    [Fact]
    public void LeftPaddingWithMaskAndPositionsLeavesLogitsUnchanged()
    {
        using var model = TestModels.Create(TestModels.Micro());
        using var scope = NewDisposeScope();
        var plain = model.forward(tensor(new long[] { 4, 7, 1, 9, 2 }, [1, 5]));
        var padded = tensor(new long[] { 0, 0, 0, 4, 7, 1, 9, 2 }, [1, 8]);
        var mask = tensor(new long[] { 0, 0, 0, 1, 1, 1, 1, 1 }, [1, 8]);
        var logits = model.Forward(padded, mask);   // positions derived from the mask
        Assert.True(TestModels.MaxAbsDiff(plain, logits.narrow(1, 3, 5)) < 1e-5);
        Assert.False(logits.isnan().any().item<bool>());   // padded query rows stay finite
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    public void KvCacheDecodingEqualsFullForwardOnLeftPaddedBatch(int kvHeads)
    {
        using var model = TestModels.Create(TestModels.Micro(kvHeads: kvHeads));
        using var scope = NewDisposeScope();
        // three sequences of 10 slots; rows 1 and 2 are left-padded by 3 and 6 (prompt parts only)
        long[] ids = [5, 3, 8, 1, 2, 9, 4, 4, 7, 6,
                      0, 0, 0, 2, 2, 8, 3, 1, 5, 9,
                      0, 0, 0, 0, 0, 0, 7, 3, 3, 2];
        long[] mask = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                       0, 0, 0, 1, 1, 1, 1, 1, 1, 1,
                       0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
        var input = tensor(ids, [3, 10]);
        var keyMask = tensor(mask, [3, 10]);
        var full = model.Forward(input, keyMask);

        using var cache = new KvCache(model.Config, 3, 10);
        const int prefill = 7;
        var steps = new List<Tensor> { model.Forward(input.narrow(1, 0, prefill), keyMask.narrow(1, 0, prefill), cache: cache) };
        // a two-token chunk after the prefill (cache offset with T > 1), then single tokens
        steps.Add(model.Forward(input.narrow(1, prefill, 2), keyMask.narrow(1, 0, prefill + 2), cache: cache));
        steps.Add(model.Forward(input.narrow(1, prefill + 2, 1), keyMask, cache: cache));
        var cached = cat(steps, 1);
        Assert.Equal(10, cache.Length);

        for (var row = 0; row < 3; row++)
        {
            var firstReal = row * 3;
            var diff = TestModels.MaxAbsDiff(full[row].narrow(0, firstReal, 10 - firstReal), cached[row].narrow(0, firstReal, 10 - firstReal));
            // float32 sums grouped differently by the two paths: relative to the logits' scale
            var scale = Math.Max(1f, full.abs().max().item<float>());
            Assert.True(diff < 1e-5 * scale, $"row {row}: KV-cache logits differ from the full forward by {diff} (max |logit| {scale})");
        }
    }

    [Fact]
    public void GroupedQueryAttentionSharesEachKeyValueHeadWithConsecutiveQueryHeads()
    {
        // A 4-query/2-KV model equals a 4/4 model whose KV heads 0,1 copy head 0 and 2,3 copy head 1 (HF's repeat_kv).
        using var grouped = TestModels.Create(TestModels.Micro(kvHeads: 2));
        using var full = TestModels.Create(TestModels.Micro(kvHeads: 4), seed: 2);
        var groupedParams = grouped.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using (no_grad())
        {
            foreach (var (name, p) in full.named_parameters())
            {
                var source = groupedParams[name];
                if (name.Contains("k_proj") || name.Contains("v_proj"))
                {
                    var perHead = source.view(2, 8, -1);   // [KV, D, …]
                    p.copy_(perHead.repeat_interleave(2, 0).reshape(p.shape));
                }
                else p.copy_(source);
            }
        }
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 1, 5, 9, 2, 7, 3 }, [1, 6]);
        Assert.True(TestModels.MaxAbsDiff(grouped.forward(ids), full.forward(ids)) < 1e-5);

        // and the one-token decoding path of the grouped model (query heads folded onto KV heads) agrees too
        using var cache = new KvCache(grouped.Config, 1, 6);
        grouped.Forward(ids.narrow(1, 0, 5), cache: cache);
        var last = grouped.Forward(ids.narrow(1, 5, 1), cache: cache);
        Assert.True(TestModels.MaxAbsDiff(last, full.forward(ids).narrow(1, 5, 1)) < 1e-5);
    }

    [Fact]
    public void RotaryEqualsRotateHalfFormula()
    {
        using var scope = NewDisposeScope();
        const int dim = 8;
        var positions = tensor(new long[] { 0, 1, 5, 17 }, [1, 4]);
        var inverse = tensor(Enumerable.Range(0, dim / 2).Select(i => (float)Math.Pow(10000, -2.0 * i / dim)).ToArray());
        var angles = positions.to(ScalarType.Float32).unsqueeze(-1) * inverse;
        var cos = cat([angles.cos(), angles.cos()], -1).unsqueeze(1);
        var sin = cat([angles.sin(), angles.sin()], -1).unsqueeze(1);
        var x = randn(1, 2, 4, dim);
        // HF: q·cos + rotate_half(q)·sin with rotate_half(q) = cat(−q₂, q₁)
        var reference = x * cos + cat([x.narrow(-1, dim / 2, dim / 2).neg(), x.narrow(-1, 0, dim / 2)], -1) * sin;
        var rotary = new Rotary(cos, cat([angles.sin().neg(), angles.sin()], -1).unsqueeze(1));
        Assert.True(TestModels.MaxAbsDiff(reference, rotary.Apply(x)) < 1e-6);
    }

    [Fact]
    public void PositionIdsCountRealTokensBefore()
    {
        using var mask = tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 }, [2, 5]);
        using var positions = Qwen2ForCausalLM.PositionIdsFromMask(mask);
        Assert.Equal([0L, 0, 0, 1, 2, 0, 1, 2, 3, 4], positions.data<long>().ToArray());
    }

    [Fact]
    public void TrainingForwardHasGradientsForEveryParameter()
    {
        using var model = TestModels.Create(TestModels.Micro(tied: true));
        model.train();
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 8 }, [2, 4]);
        var loss = nn.functional.cross_entropy(model.forward(ids).reshape(-1, 20), ids.reshape(-1));
        loss.backward();
        foreach (var (name, p) in model.named_parameters())
            Assert.True(p.grad is not null && p.grad.abs().sum().item<float>() > 0, $"{name} has no gradient");
    }
}
