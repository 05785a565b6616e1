using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Dsdr.Core.Sweeps;

namespace Dsdr.Learning.Model;

/// <summary>
/// The shape of a Qwen2 decoder. Property names mirror Hugging Face's config.json (snake_case on disk);
/// fields this implementation does not use are kept in <see cref="Extra"/> and written back unchanged.
/// <see cref="Qwen3Config"/> extends it as Hugging Face's modular Qwen3 extends Qwen2.
/// </summary>
public record Qwen2Config
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

    /// <summary>Width of one attention head: config.json's head_dim where the family has one, else hidden / heads.</summary>
    [JsonIgnore] public int HeadDim => DeclaredHeadDim ?? HiddenSize / NumAttentionHeads;

    /// <summary>The family's explicit head width (Qwen3's head_dim); null = hidden_size / num_attention_heads.</summary>
    protected virtual int? DeclaredHeadDim => null;

    /// <summary>The model_type this record describes in config.json.</summary>
    [JsonIgnore] public virtual string FamilyModelType => "qwen2";

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
        ValidateHeads();
        if (HeadDim % 2 != 0)
            throw new InvalidDataException($"Model config: head dimension {HeadDim} must be even for rotary positions.");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new InvalidDataException($"Model config: num_attention_heads {NumAttentionHeads} is not a multiple of num_key_value_heads {NumKeyValueHeads}.");
        if (RopeTheta <= 0) throw new InvalidDataException($"Model config: rope_theta must be positive, got {RopeTheta}.");
        if (RmsNormEps <= 0) throw new InvalidDataException($"Model config: rms_norm_eps must be positive, got {RmsNormEps}.");
        if (HiddenAct != "silu")
            throw new NotSupportedException($"Model config: hidden_act '{HiddenAct}' is not supported; {FamilyModelType} uses 'silu'.");
        if (ModelType != FamilyModelType)
            throw new NotSupportedException($"Model config: model_type '{ModelType}' is not supported by {GetType().Name}; expected '{FamilyModelType}'.");
        if (Extra is not null)
        {
            if (Extra.TryGetValue("rope_scaling", out var scaling) && scaling.ValueKind != JsonValueKind.Null)
                throw new NotSupportedException("Model config: rope_scaling is set; only plain rotary positions are implemented.");
            if (Extra.TryGetValue("use_sliding_window", out var sliding) && sliding.ValueKind == JsonValueKind.True)
                throw new NotSupportedException("Model config: use_sliding_window is true; only full attention is implemented.");
        }
        return this;
    }

    /// <summary>Qwen2 derives the head width: hidden_size must split evenly, and a head_dim in the file must agree.</summary>
    protected virtual void ValidateHeads()
    {
        if (HiddenSize % NumAttentionHeads != 0)
            throw new InvalidDataException($"Model config: hidden_size {HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}.");
        if (Extra is not null && Extra.TryGetValue("head_dim", out var headDim) && headDim.ValueKind == JsonValueKind.Number && headDim.GetInt32() != HeadDim)
            throw new NotSupportedException($"Model config: head_dim {headDim.GetInt32()} differs from hidden_size / num_attention_heads = {HeadDim}.");
    }

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(this, GetType(), JsonOptions);

    /// <summary>The model_types config.json may name, each with the record that reads it.</summary>
    public static readonly IReadOnlyDictionary<string, Type> Families = new Dictionary<string, Type>
    {
        ["qwen2"] = typeof(Qwen2Config),
        ["qwen3"] = typeof(Qwen3Config),
    };

    /// <summary>Reads a config.json of any supported family (by its model_type; absent = qwen2) and validates it.</summary>
    public static Qwen2Config FromJson(string json, string source = "config.json")
    {
        Qwen2Config? config;
        try
        {
            var modelType = JsonNode.Parse(json) is JsonObject root && root["model_type"] is JsonValue type && type.TryGetValue<string>(out var name)
                ? name : "qwen2";
            if (!Families.TryGetValue(modelType, out var family))
                throw new NotSupportedException($"{source}: model_type '{modelType}' is not supported; expected one of {string.Join(", ", Families.Keys)}.");
            config = (Qwen2Config?)JsonSerializer.Deserialize(json, family, JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source} is not a valid model config: {e.Message}", e);
        }
        try
        {
            return (config ?? throw new InvalidDataException($"{source} is empty.")).Validate();
        }
        catch (Exception e) when (e is InvalidDataException or NotSupportedException && !e.Message.StartsWith(source, StringComparison.Ordinal))
        {
            throw e is NotSupportedException ? new NotSupportedException($"{source}: {e.Message}", e) : new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    public static Qwen2Config Load(string path) =>
        File.Exists(path) ? FromJson(File.ReadAllText(path), path)
            : throw new FileNotFoundException($"Model config {path} does not exist.", path);

    public void Save(string path) => File.WriteAllText(path, ToJson());
}
