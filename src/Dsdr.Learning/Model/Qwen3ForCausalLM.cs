using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Dsdr.Learning.Model;

// A Qwen3 decoder (Hugging Face's Qwen3ForCausalLM semantics). Everything but the attention is Qwen2's (as in Hugging
// Face's modular Qwen3): embedding, SwiGLU MLP, float32 RMSNorm, rotary positions, tied or untied head. The attention
// differs in three ways:
//   q = RoPE(RMSNorm_q(W_q·x) per head), k = RoPE(RMSNorm_k(W_k·x) per head)   (q_norm, k_norm over head_dim, before RoPE)
//   head_dim is config.json's own (need not be hidden / heads), and the projections' biases follow attention_bias (none).
// Parameter names: model.layers.N.self_attn.{q,k,v,o}_proj.weight, …self_attn.q_norm.weight, …self_attn.k_norm.weight.

/// <summary>The policy model for a Qwen3 checkpoint.</summary>
public sealed class Qwen3ForCausalLM(Qwen3Config config, long initSeed = 0) : Qwen2ForCausalLM(config, initSeed)
{
    public new Qwen3Config Config => (Qwen3Config)base.Config;
}

/// <summary>Grouped-query attention with per-head RMSNorm on queries and keys before rotary positions.</summary>
internal sealed class Qwen3Attention : DecoderAttention
{
    [ComponentName(Name = "q_proj")] private readonly Linear queryProjection;
    [ComponentName(Name = "k_proj")] private readonly Linear keyProjection;
    [ComponentName(Name = "v_proj")] private readonly Linear valueProjection;
    [ComponentName(Name = "o_proj")] private readonly Linear outputProjection;
    [ComponentName(Name = "q_norm")] private readonly Qwen2RmsNorm queryNorm;
    [ComponentName(Name = "k_norm")] private readonly Qwen2RmsNorm keyNorm;
    private readonly long heads, keyValueHeads, headDim;

    public Qwen3Attention(Qwen3Config config) : base("self_attn")
    {
        heads = config.NumAttentionHeads;
        keyValueHeads = config.NumKeyValueHeads;
        headDim = config.HeadDim;
        var bias = config.AttentionBias;
        queryProjection = nn.Linear(config.HiddenSize, heads * headDim, hasBias: bias);
        keyProjection = nn.Linear(config.HiddenSize, keyValueHeads * headDim, hasBias: bias);
        valueProjection = nn.Linear(config.HiddenSize, keyValueHeads * headDim, hasBias: bias);
        outputProjection = nn.Linear(heads * headDim, config.HiddenSize, hasBias: bias);
        queryNorm = new Qwen2RmsNorm(headDim, config.RmsNormEps);
        keyNorm = new Qwen2RmsNorm(headDim, config.RmsNormEps);
        RegisterComponents();
    }

    public override Tensor Forward(Tensor hidden, Rotary rotary, AttentionBias bias, KvCache? cache, int layerIndex)
    {
        long batch = hidden.shape[0], steps = hidden.shape[1];
        // the norms act on the last axis (head_dim) of [B, T, H, D], then heads move before time
        var q = rotary.Apply(queryNorm.forward(queryProjection.forward(hidden).view(batch, steps, heads, headDim)).transpose(1, 2));        // [B, H, T, D]
        var k = rotary.Apply(keyNorm.forward(keyProjection.forward(hidden).view(batch, steps, keyValueHeads, headDim)).transpose(1, 2));    // [B, KV, T, D]
        var v = valueProjection.forward(hidden).view(batch, steps, keyValueHeads, headDim).transpose(1, 2);
        if (cache is not null) (k, v) = cache.Append(layerIndex, k, v);
        return outputProjection.forward(Attend(q, k, v, bias, heads, keyValueHeads, headDim));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            queryProjection.Dispose();
            keyProjection.Dispose();
            valueProjection.Dispose();
            outputProjection.Dispose();
            queryNorm.Dispose();
            keyNorm.Dispose();
        }
        base.Dispose(disposing);
    }
}
