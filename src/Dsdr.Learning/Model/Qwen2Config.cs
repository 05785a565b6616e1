using System.Text.Json;
using System.Text.Json.Serialization;
using Dsdr.Core.Sweeps;

namespace Dsdr.Learning.Model;

/// <summary>
/// The shape of a Qwen2 decoder. Property names mirror Hugging Face's config.json (snake_case on disk);
/// fields this implementation does not use are kept in <see cref="Extra"/> and written back unchanged.
/// </summary>
public sealed record Qwen2Config
{
    public int VocabSize { get; init; }
    public int HiddenSize { get; init; }
    public int IntermediateSize { get; init; }
    public int NumHiddenLayers { get; init; }
    public int NumAttentionHeads { get; init; }
    public int NumKeyValueHeads { get; init; }
    public double RopeTheta { get; init; } = 10000.0;
    public double RmsNormEps { get; init; } = 1e-6;
    public bool TieWordEmbeddings { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public double InitializerRange { get; init; } = 0.02;
    public string HiddenAct { get; init; } = "silu";
    public string ModelType { get; init; } = "qwen2";
    public IReadOnlyList<string> Architectures { get; init; } = ["Qwen2ForCausalLM"];
    /// <summary>The dtype the weights were saved in ("float32", "bfloat16"); informational.</summary>
    public string? TorchDtype { get; init; }

    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    [JsonIgnore] public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Character-level tasks on CPU: 4 layers, d = 128, 4 heads over 2 KV heads; ~1.0M parameters at vocab 64.</summary>
    public static Qwen2Config Tiny(int vocabSize = 64) => Preset(ModelPresets.Tiny, vocabSize);

    /// <summary>CPU work with more capacity: 8 layers, d = 256, 8 heads over 4 KV heads; ~10.05M parameters at vocab 64.</summary>
    public static Qwen2Config Small(int vocabSize = 64) => Preset(ModelPresets.Small, vocabSize);

    /// <summary>
    /// The calibrated Countdown policy (issue 4): 4 layers, d = 64, 4 heads, character vocabulary;
    /// ~0.2M parameters (SwiGLU width 176 ≈ 8/3·d keeps the MLP at a GELU-MLP's 8·d² weights).
    /// </summary>
    public static Qwen2Config Countdown(int vocabSize) => Preset(ModelPresets.Countdown, vocabSize);

    /// <summary>A preset by name from Core's <see cref="ModelPresets"/> (tiny, small, countdown, countdown-wide); tied embeddings.</summary>
    public static Qwen2Config Preset(string name, int vocabSize) => FromPreset(ModelPresets.TryGet(name.ToLowerInvariant(), out var preset)
        ? preset
        : throw new ArgumentException($"Unknown model preset '{name}'; expected one of {string.Join(", ", ModelPresets.All.Select(p => p.Name))}.", nameof(name)), vocabSize);

    public static Qwen2Config FromPreset(ModelPreset preset, int vocabSize) => new()
    {
        VocabSize = vocabSize, HiddenSize = preset.ModelDim, IntermediateSize = preset.IntermediateSize, NumHiddenLayers = preset.Layers,
        NumAttentionHeads = preset.Heads, NumKeyValueHeads = preset.KvHeads, TieWordEmbeddings = true, MaxPositionEmbeddings = preset.Context,
    };

    /// <summary>Throws with a message naming the field when this configuration cannot build a model.</summary>
    public Qwen2Config Validate()
    {
        static void Positive(int value, string name)
        {
            if (value <= 0) throw new InvalidDataException($"Model config: {name} must be positive, got {value}.");
        }
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(NumKeyValueHeads, "num_key_value_heads");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"Model config: hidden_size {HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}.");
        if (HeadDim % 2 != 0)
            throw new InvalidDataException($"Model config: head dimension {HeadDim} must be even for rotary positions.");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new InvalidDataException($"Model config: num_attention_heads {NumAttentionHeads} is not a multiple of num_key_value_heads {NumKeyValueHeads}.");
        if (RopeTheta <= 0) throw new InvalidDataException($"Model config: rope_theta must be positive, got {RopeTheta}.");
        if (RmsNormEps <= 0) throw new InvalidDataException($"Model config: rms_norm_eps must be positive, got {RmsNormEps}.");
        if (HiddenAct != "silu")
            throw new NotSupportedException($"Model config: hidden_act '{HiddenAct}' is not supported; Qwen2 uses 'silu'.");
        if (ModelType is not ("qwen2"))
            throw new NotSupportedException($"Model config: model_type '{ModelType}' is not supported; expected 'qwen2'.");
        if (Extra is not null)
        {
            if (Extra.TryGetValue("rope_scaling", out var scaling) && scaling.ValueKind != JsonValueKind.Null)
                throw new NotSupportedException("Model config: rope_scaling is set; only plain rotary positions are implemented.");
            if (Extra.TryGetValue("use_sliding_window", out var sliding) && sliding.ValueKind == JsonValueKind.True)
                throw new NotSupportedException("Model config: use_sliding_window is true; only full attention is implemented.");
            if (Extra.TryGetValue("head_dim", out var headDim) && headDim.ValueKind == JsonValueKind.Number && headDim.GetInt32() != HeadDim)
                throw new NotSupportedException($"Model config: head_dim {headDim.GetInt32()} differs from hidden_size / num_attention_heads = {HeadDim}.");
        }
        return this;
    }

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    public static Qwen2Config FromJson(string json, string source = "config.json")
    {
        Qwen2Config? config;
        try
        {
            config = JsonSerializer.Deserialize<Qwen2Config>(json, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not a valid model config: {e.Message}", e);
        }
        return (config ?? throw new InvalidDataException($"{source} is empty.")).Validate();
    }

    public static Qwen2Config Load(string path) =>
        File.Exists(path) ? FromJson(File.ReadAllText(path), path)
            : throw new FileNotFoundException($"Model config {path} does not exist.", path);

    public void Save(string path) => File.WriteAllText(path, ToJson());
}
