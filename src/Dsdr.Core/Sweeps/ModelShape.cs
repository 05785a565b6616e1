using System.Text.Json;

namespace Dsdr.Core.Sweeps;

/// <summary>
/// The sizes of a decoder that memory and compute depend on: a preset's, or a Hugging Face checkpoint's config.json
/// (Qwen2: q/k/v biases, head width hidden / heads; Qwen3: its own head_dim, per-head q/k norms, no biases).
/// </summary>
public sealed record ModelShape(
    string Family, int Layers, int ModelDim, int Heads, int KvHeads, int HeadDim, int IntermediateSize, int Vocabulary,
    bool TiedEmbeddings, bool QkvBias, bool QkNorm)
{
    /// <summary>A preset with a character vocabulary: Qwen2 layout, tied embeddings.</summary>
    public static ModelShape FromPreset(ModelPreset preset, int vocabulary) => new(
        "qwen2", preset.Layers, preset.ModelDim, preset.Heads, preset.KvHeads, preset.ModelDim / preset.Heads, preset.IntermediateSize,
        vocabulary, TiedEmbeddings: true, QkvBias: true, QkNorm: false);

    /// <summary>
    /// The shape in a checkpoint folder's config.json; null when the folder has none. A file that is there but not a
    /// Qwen2/Qwen3 config throws <see cref="InvalidDataException"/> naming the file and the field.
    /// </summary>
    public static ModelShape? FromCheckpoint(string folder)
    {
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) return null;
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not valid JSON: {e.Message}", e);
        }
        int Int(string name, int? fallback = null) =>
            root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) && i > 0 ? i
            : fallback ?? throw new InvalidDataException($"{path}: {name} must be a positive integer.");
        bool Flag(string name, bool fallback) =>
            root.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : fallback;
        var family = root.TryGetProperty("model_type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString()! : "qwen2";
        if (family is not ("qwen2" or "qwen3"))
            throw new InvalidDataException($"{path}: model_type '{family}' is not supported; expected qwen2 or qwen3.");
        var dim = Int("hidden_size");
        var heads = Int("num_attention_heads");
        var qwen3 = family == "qwen3";
        return new ModelShape(family, Int("num_hidden_layers"), dim, heads, Int("num_key_value_heads", heads),
            Int("head_dim", qwen3 ? 128 : dim / heads), Int("intermediate_size"), Int("vocab_size"),
            TiedEmbeddings: Flag("tie_word_embeddings", false), QkvBias: qwen3 ? Flag("attention_bias", false) : true, QkNorm: qwen3);
    }

    // P = V·d·(tied ? 1 : 2) + L·(2·d·H·h + 2·d·K·h + bias + norms + 3·d·I + 2·d) + d
    //   bias = H·h + 2·K·h (Qwen2's q/k/v; Qwen3 with attention_bias also o: + d), norms = 2·h (Qwen3's q_norm, k_norm)
    public long Parameters()
    {
        long d = ModelDim, h = HeadDim, heads = Heads, kv = KvHeads, inner = IntermediateSize;
        var bias = QkvBias ? heads * h + 2 * kv * h + (QkNorm ? d : 0) : 0;
        var perLayer = 2 * d * heads * h + 2 * d * kv * h + bias + (QkNorm ? 2 * h : 0) + 3 * d * inner + 2 * d;
        return Vocabulary * d * (TiedEmbeddings ? 1 : 2) + Layers * perLayer + d;
    }
}
