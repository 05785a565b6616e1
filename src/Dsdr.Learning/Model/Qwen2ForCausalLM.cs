using Dsdr.Learning.Compute;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.Utils;
using TokenEmbedding = TorchSharp.Modules.Embedding;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Dsdr.Learning.Model;

// A Qwen2 decoder (Hugging Face's Qwen2ForCausalLM semantics) in one file:
//   h₀ = E[x];  for each layer: h += Attn(RMSNorm(h)); h += MLP(RMSNorm(h));  logits = W_lm · RMSNorm(h)
// Module and parameter names are Hugging Face's, so named_parameters() lists exactly the safetensors keys
// (model.embed_tokens.weight, model.layers.N.self_attn.q_proj.weight, …, lm_head.weight unless tied).

/// <summary>The policy model: a Qwen2 decoder with its language-model head (<see cref="Qwen3ForCausalLM"/> derives from it).</summary>
public class Qwen2ForCausalLM : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "model")] private readonly Qwen2Decoder decoder;
    [ComponentName(Name = "lm_head")] private readonly Linear? lmHead;   // null when tied to the embedding

    public Qwen2Config Config { get; }

    /// <param name="initSeed">Seeds the model's own generator for the random initial weights (torch's global one is not used).</param>
    public Qwen2ForCausalLM(Qwen2Config config, long initSeed = 0) : base(nameof(Qwen2ForCausalLM))
    {
        if (config is Qwen3Config && this is not Qwen3ForCausalLM)
            throw new ArgumentException("A Qwen3 config builds a Qwen3ForCausalLM: use new Qwen3ForCausalLM(config) or Qwen2ForCausalLM.Create(config).", nameof(config));
        Config = config.Validate();
        decoder = new Qwen2Decoder(config);
        if (!config.TieWordEmbeddings) lmHead = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
        InitializeWeights(initSeed);
    }

    /// <summary>The model of the config's family: <see cref="Qwen3ForCausalLM"/> for a <see cref="Qwen3Config"/>, else Qwen2.</summary>
    public static Qwen2ForCausalLM Create(Qwen2Config config, long initSeed = 0) =>
        config is Qwen3Config qwen3 ? new Qwen3ForCausalLM(qwen3, initSeed) : new Qwen2ForCausalLM(config, initSeed);

    /// <summary>
    /// Recompute each decoder layer's activations in the backward pass instead of keeping them (training forwards
    /// without a KV cache only): memory per layer drops to its input, at the cost of a second forward.
    /// </summary>
    public bool GradientCheckpointing
    {
        get => decoder.GradientCheckpointing;
        set => decoder.GradientCheckpointing = value;
    }

    /// <summary>Logits [B, T, V] for token ids [B, T]: no padding, positions 0…T−1.</summary>
    public override Tensor forward(Tensor inputIds) => Forward(inputIds);

    /// <summary>
    /// Logits for token ids [B, T].
    /// <paramref name="attentionMask"/> [B, S] marks real tokens (1/true) against padding (0/false) over every key the
    /// step sees: the cached ones followed by these T (S = cache length + T); null = no padding.
    /// <paramref name="positionIds"/> [B, T]; null = derived from the mask (count of real tokens before each one)
    /// or, without a mask, cache length + 0…T−1.
    /// With a <paramref name="cache"/>, this step's keys and values are appended to it.
    /// <paramref name="logitsToKeep"/> &gt; 0 returns logits [B, k, V] of the last k positions only (Hugging Face's
    /// logits_to_keep): 1 for sampling, the response span for training; 0 = all positions.
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null,
        KvCache? cache = null, int logitsToKeep = 0)
    {
        using var scope = NewDisposeScope();
        var hidden = decoder.Forward(inputIds, attentionMask, positionIds, cache);
        if (logitsToKeep > 0 && logitsToKeep < hidden.shape[1]) hidden = hidden.narrow(1, hidden.shape[1] - logitsToKeep, logitsToKeep);
        var logits = lmHead is null ? F.linear(hidden, decoder.EmbeddingWeight) : lmHead.forward(hidden);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>Position ids [B, S] from a padding mask [B, S]: the number of real tokens before each slot (0 on padding).</summary>
    public static Tensor PositionIdsFromMask(Tensor attentionMask) =>
        // pos_j = max(0, Σ_{i ≤ j} m_i − 1)
        attentionMask.to(ScalarType.Int64).cumsum(-1).sub_(Scalars.IntegerOne).clamp_min_(Scalars.IntegerZero);

    public long ParameterCount() => parameters().Sum(p => p.numel());

    // Hugging Face's Qwen2 initialisation: N(0, initializer_range) for linear and embedding weights, zero biases, unit norms.
    // Every parameter is written here, so what the layers' own constructors drew from torch's global generator is gone.
    private void InitializeWeights(long seed)
    {
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        foreach (var (name, parameter) in named_parameters())
        {
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) parameter.fill_(Scalars.One);
            else if (name.EndsWith(".bias", StringComparison.Ordinal)) parameter.zero_();
            else parameter.normal_(0.0, Config.InitializerRange, generator);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            decoder.Dispose();
            lmHead?.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>Keys and values of every layer for a batch, preallocated for <see cref="Capacity"/> slots.</summary>
public sealed class KvCache : IDisposable
{
    private readonly Tensor[] keys;     // per layer [B, KV, capacity, head_dim]
    private readonly Tensor[] values;

    public KvCache(Qwen2Config config, long batchSize, long capacity, Device? device = null, ScalarType dtype = ScalarType.Float32)
    {
        if (batchSize <= 0 || capacity <= 0)
            throw new ArgumentException($"KV cache needs a positive batch size and capacity, got {batchSize} × {capacity}.");
        Capacity = capacity;
        keys = new Tensor[config.NumHiddenLayers];
        values = new Tensor[config.NumHiddenLayers];
        for (var layer = 0; layer < keys.Length; layer++)
        {
            keys[layer] = zeros([batchSize, config.NumKeyValueHeads, capacity, config.HeadDim], dtype, device).DetachFromDisposeScope();
            values[layer] = zeros([batchSize, config.NumKeyValueHeads, capacity, config.HeadDim], dtype, device).DetachFromDisposeScope();
        }
    }

    /// <summary>Slots filled so far (the same for every row; padding occupies slots too).</summary>
    public long Length { get; private set; }
    public long Capacity { get; }
    public long BatchSize => keys[0].shape[0];

    /// <summary>Writes this step's keys/values [B, KV, T, D] of a layer; returns views of all filled slots [B, KV, Length+T, D].</summary>
    internal (Tensor Keys, Tensor Values) Append(int layer, Tensor newKeys, Tensor newValues)
    {
        var steps = newKeys.shape[2];
        if (Length + steps > Capacity)
            throw new InvalidOperationException($"KV cache is full: {Length} + {steps} slots exceed its capacity {Capacity}.");
        keys[layer].narrow(2, Length, steps).copy_(newKeys);
        values[layer].narrow(2, Length, steps).copy_(newValues);
        return (keys[layer].narrow(2, 0, Length + steps), values[layer].narrow(2, 0, Length + steps));
    }

    /// <summary>Called by the model once every layer has appended the step's T slots.</summary>
    internal void Advance(long steps) => Length += steps;

    /// <summary>Keeps only the given batch rows (to drop finished sequences), in the given order.</summary>
    public void KeepRows(Tensor rowIndices)
    {
        for (var layer = 0; layer < keys.Length; layer++)
        {
            var k = keys[layer].index_select(0, rowIndices).DetachFromDisposeScope();
            var v = values[layer].index_select(0, rowIndices).DetachFromDisposeScope();
            keys[layer].Dispose();
            values[layer].Dispose();
            keys[layer] = k;
            values[layer] = v;
        }
    }

    public void Dispose()
    {
        foreach (var t in keys) t.Dispose();
        foreach (var t in values) t.Dispose();
    }
}

/// <summary>Hugging Face's Qwen2Model: embedding, decoder layers, final norm (registered as "model").</summary>
internal sealed class Qwen2Decoder : nn.Module
{
    [ComponentName(Name = "embed_tokens")] private readonly TokenEmbedding embedTokens;
    [ComponentName(Name = "layers")] private readonly ModuleList<Qwen2DecoderLayer> layers;
    [ComponentName(Name = "norm")] private readonly Qwen2RmsNorm norm;
    private readonly Qwen2Config config;
    private readonly float[] inverseFrequencies;   // θ^(−2i/D), kept in float32 whatever the weights' dtype

    public Qwen2Decoder(Qwen2Config config) : base("model")
    {
        this.config = config;
        embedTokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new Qwen2DecoderLayer(config)).ToArray());
        norm = new Qwen2RmsNorm(config.HiddenSize, config.RmsNormEps);
        // inv_freq_i = θ^(−2i/D), i = 0 … D/2−1
        inverseFrequencies = Enumerable.Range(0, config.HeadDim / 2)
            .Select(i => (float)(1.0 / Math.Pow(config.RopeTheta, 2.0 * i / config.HeadDim))).ToArray();
        RegisterComponents();
    }

    public Tensor EmbeddingWeight => embedTokens.weight!;

    public bool GradientCheckpointing { get; set; }

    public Tensor Forward(Tensor inputIds, Tensor? attentionMask, Tensor? positionIds, KvCache? cache)
    {
        var steps = inputIds.shape[1];
        var offset = cache?.Length ?? 0;
        var device = inputIds.device;
        var keyMask = attentionMask?.to(ScalarType.Bool);
        if (keyMask is not null && keyMask.shape[1] != offset + steps)
            throw new ArgumentException($"attention mask covers {keyMask.shape[1]} slots; expected cache length {offset} + {steps} new tokens.");

        positionIds ??= keyMask is not null
            ? Qwen2ForCausalLM.PositionIdsFromMask(keyMask).narrow(1, offset, steps)
            : Scalars.Arange(offset, offset + steps, device).unsqueeze(0).expand(inputIds.shape[0], steps);

        var hidden = embedTokens.forward(inputIds);
        var rotary = RotaryTables(positionIds, hidden.dtype);
        var bias = AttentionBias.Build(keyMask, offset, steps, device);
        var checkpointed = GradientCheckpointing && cache is null && is_grad_enabled();
        Tensor[] context = bias.Mask is null ? [rotary.Cos, rotary.SignedSin] : [rotary.Cos, rotary.SignedSin, bias.Mask];
        var isCausal = bias.IsCausal;
        for (var i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            hidden = checkpointed
                ? LayerCheckpoint.Apply(hidden, context, (input, c) =>
                    layer.Forward(input, new Rotary(c[0], c[1]), new AttentionBias(c.Length > 2 ? c[2] : null, isCausal), null, 0))
                : layer.Forward(hidden, rotary, bias, cache, i);
        }
        cache?.Advance(steps);
        return norm.forward(hidden);
    }

    // cos/sin [B, 1, T, D] of θ_i·pos with the frequencies repeated over both halves (HF's cat(freqs, freqs)),
    // and the sine with its first half negated so that rotate_half(x)·sin = roll(x, D/2)·signedSin.
    private Rotary RotaryTables(Tensor positionIds, ScalarType dtype)
    {
        var angles = positionIds.to(ScalarType.Float32).unsqueeze(-1) * tensor(inverseFrequencies, device: positionIds.device);   // [B, T, D/2]
        var cos = angles.cos();
        var sin = angles.sin();
        var fullCos = cat([cos, cos], -1).unsqueeze(1).to(dtype);
        var signedSin = cat([sin.neg(), sin], -1).unsqueeze(1).to(dtype);
        return new Rotary(fullCos, signedSin);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            embedTokens.Dispose();
            layers.Dispose();
            norm.Dispose();
        }
        base.Dispose(disposing);
    }
}

internal readonly record struct Rotary(Tensor Cos, Tensor SignedSin)
{
    // x·cos + rotate_half(x)·sin, rotate_half(x) = [−x₂, x₁]  ≡  x·cos + roll(x, D/2)·[−sin, sin]
    public Tensor Apply(Tensor x) => x.mul(Cos).addcmul_(x.roll(x.shape[^1] / 2, -1), SignedSin, Scalars.One);
}

/// <summary>Which keys each query may see: causal by cache slot, padding masked, and a padded query sees itself (no empty rows).</summary>
internal sealed record AttentionBias(Tensor? Mask, bool IsCausal)
{
    public static AttentionBias Build(Tensor? keyMask, long offset, long steps, Device device)
    {
        if (keyMask is null)
            // No padding: one new token sees every key; a prefill from slot 0 is plain causal attention.
            return steps == 1 ? new AttentionBias(null, false)
                : offset == 0 ? new AttentionBias(null, true)
                : new AttentionBias(CausalMask(offset, steps, device).unsqueeze(0).unsqueeze(0), false);

        var keys = keyMask.unsqueeze(1).unsqueeze(1);                                    // [B, 1, 1, S]
        if (steps == 1) return new AttentionBias(keys, false);
        var causal = CausalMask(offset, steps, device);                                  // [T, S]
        var self = Scalars.Arange(0, offset + steps, device).unsqueeze(0)
            .eq(Scalars.Arange(offset, offset + steps, device).unsqueeze(1));           // slot j is query i
        return new AttentionBias(causal.logical_and(keys.logical_or(self)), false);      // [B, 1, T, S]
    }

    // allowed[i, j] = j ≤ offset + i
    private static Tensor CausalMask(long offset, long steps, Device device) =>
        Scalars.Arange(0, offset + steps, device).unsqueeze(0).le(Scalars.Arange(offset, offset + steps, device).unsqueeze(1));
}

internal sealed class Qwen2DecoderLayer : nn.Module
{
    [ComponentName(Name = "self_attn")] private readonly DecoderAttention selfAttention;
    [ComponentName(Name = "mlp")] private readonly Qwen2Mlp mlp;
    [ComponentName(Name = "input_layernorm")] private readonly Qwen2RmsNorm inputNorm;
    [ComponentName(Name = "post_attention_layernorm")] private readonly Qwen2RmsNorm postAttentionNorm;

    public Qwen2DecoderLayer(Qwen2Config config) : base("layer")
    {
        selfAttention = config is Qwen3Config qwen3 ? new Qwen3Attention(qwen3) : new Qwen2Attention(config);
        mlp = new Qwen2Mlp(config);
        inputNorm = new Qwen2RmsNorm(config.HiddenSize, config.RmsNormEps);
        postAttentionNorm = new Qwen2RmsNorm(config.HiddenSize, config.RmsNormEps);
        RegisterComponents();
    }

    public Tensor Forward(Tensor hidden, Rotary rotary, AttentionBias bias, KvCache? cache, int layerIndex)
    {
        hidden = hidden.add(selfAttention.Forward(inputNorm.forward(hidden), rotary, bias, cache, layerIndex), Scalars.One);
        return hidden.add(mlp.forward(postAttentionNorm.forward(hidden)), Scalars.One);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            selfAttention.Dispose();
            mlp.Dispose();
            inputNorm.Dispose();
            postAttentionNorm.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>A decoder layer's self-attention: this step's hidden states [B, T, d] in, [B, T, d] out.</summary>
internal abstract class DecoderAttention(string name) : nn.Module(name)
{
    public abstract Tensor Forward(Tensor hidden, Rotary rotary, AttentionBias bias, KvCache? cache, int layerIndex);

    /// <summary>
    /// softmax(q·kᵀ/√D + mask)·v over grouped-query heads: q [B, H, T, D], k and v [B, KV, S, D] → [B, T, H·D].
    /// </summary>
    protected static Tensor Attend(Tensor q, Tensor k, Tensor v, AttentionBias bias, long heads, long keyValueHeads, long headDim)
    {
        long batch = q.shape[0], steps = q.shape[2];
        var group = heads / keyValueHeads;
        Tensor attended;
        if (steps == 1 && group > 1)
        {
            // One new token: the `group` query heads that share a KV head become `group` query rows against the
            // same keys ([B, KV, group, D]), so the cache is read in place instead of repeated per head.
            attended = F.scaled_dot_product_attention(q.reshape(batch, keyValueHeads, group, headDim), k, v, bias.Mask, is_casual: bias.IsCausal)
                .reshape(batch, heads, 1, headDim);
        }
        else
        {
            if (group > 1)
            {
                // repeat_kv: KV head j serves query heads j·group … j·group+group−1
                var keySlots = k.shape[2];
                k = k.unsqueeze(2).expand(batch, keyValueHeads, group, keySlots, headDim).reshape(batch, heads, keySlots, headDim);
                v = v.unsqueeze(2).expand(batch, keyValueHeads, group, keySlots, headDim).reshape(batch, heads, keySlots, headDim);
            }
            attended = F.scaled_dot_product_attention(q, k, v, bias.Mask, is_casual: bias.IsCausal);   // softmax(q·kᵀ/√D + mask)·v
        }
        return attended.transpose(1, 2).reshape(batch, steps, heads * headDim);
    }
}

/// <summary>Grouped-query attention with Qwen2's q/k/v biases (no output bias) and rotary positions.</summary>
internal sealed class Qwen2Attention : DecoderAttention
{
    [ComponentName(Name = "q_proj")] private readonly Linear queryProjection;
    [ComponentName(Name = "k_proj")] private readonly Linear keyProjection;
    [ComponentName(Name = "v_proj")] private readonly Linear valueProjection;
    [ComponentName(Name = "o_proj")] private readonly Linear outputProjection;
    private readonly long heads, keyValueHeads, headDim;

    public Qwen2Attention(Qwen2Config config) : base("self_attn")
    {
        heads = config.NumAttentionHeads;
        keyValueHeads = config.NumKeyValueHeads;
        headDim = config.HeadDim;
        queryProjection = nn.Linear(config.HiddenSize, heads * headDim, hasBias: true);
        keyProjection = nn.Linear(config.HiddenSize, keyValueHeads * headDim, hasBias: true);
        valueProjection = nn.Linear(config.HiddenSize, keyValueHeads * headDim, hasBias: true);
        outputProjection = nn.Linear(heads * headDim, config.HiddenSize, hasBias: false);
        RegisterComponents();
    }

    public override Tensor Forward(Tensor hidden, Rotary rotary, AttentionBias bias, KvCache? cache, int layerIndex)
    {
        long batch = hidden.shape[0], steps = hidden.shape[1];
        var q = rotary.Apply(queryProjection.forward(hidden).view(batch, steps, heads, headDim).transpose(1, 2));        // [B, H, T, D]
        var k = rotary.Apply(keyProjection.forward(hidden).view(batch, steps, keyValueHeads, headDim).transpose(1, 2));  // [B, KV, T, D]
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
        }
        base.Dispose(disposing);
    }
}

/// <summary>SwiGLU feed-forward: down(silu(gate(x)) ⊙ up(x)).</summary>
internal sealed class Qwen2Mlp : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "gate_proj")] private readonly Linear gateProjection;
    [ComponentName(Name = "up_proj")] private readonly Linear upProjection;
    [ComponentName(Name = "down_proj")] private readonly Linear downProjection;

    public Qwen2Mlp(Qwen2Config config) : base("mlp")
    {
        gateProjection = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: false);
        upProjection = nn.Linear(config.HiddenSize, config.IntermediateSize, hasBias: false);
        downProjection = nn.Linear(config.IntermediateSize, config.HiddenSize, hasBias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) =>
        downProjection.forward(F.silu(gateProjection.forward(x)).mul_(upProjection.forward(x)));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            gateProjection.Dispose();
            upProjection.Dispose();
            downProjection.Dispose();
        }
        base.Dispose(disposing);
    }
}

/// <summary>RMSNorm computed in float32 as Hugging Face does: w ⊙ x / √(mean(x²) + ε).</summary>
internal sealed class Qwen2RmsNorm : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = "weight")] private Parameter weight;
    private readonly Scalar epsilon;

    public Qwen2RmsNorm(long size, double epsilon) : base("norm")
    {
        this.epsilon = epsilon.ToScalar();
        weight = new Parameter(ones(size));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var input = x.dtype == ScalarType.Float32 ? x : x.to(ScalarType.Float32);
        // x / √(mean(x²) + ε)
        var normalized = input * input.mul(input).mean([-1], keepdim: true).add_(epsilon, Scalars.One).rsqrt_();
        return weight * (x.dtype == ScalarType.Float32 ? normalized : normalized.to(x.dtype));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) epsilon.Dispose();
        base.Dispose(disposing);
    }
}
