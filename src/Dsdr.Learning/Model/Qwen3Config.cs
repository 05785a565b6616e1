using System.Text.Json.Serialization;
using Dsdr.Core.Sweeps;

namespace Dsdr.Learning.Model;

/// <summary>
/// The shape of a Qwen3 decoder (config.json with model_type "qwen3"): Qwen2's fields plus an explicit head_dim
/// (which need not be hidden / heads) and attention_bias; q and k are RMS-normalised per head (see <see cref="Qwen3ForCausalLM"/>).
/// Defaults are Hugging Face's Qwen3Config defaults for the fields a config.json may leave out.
/// </summary>
public sealed record Qwen3Config : Qwen2Config
{
    public Qwen3Config()
    {
        ModelType = "qwen3";
        Architectures = ["Qwen3ForCausalLM"];
    }

    /// <summary>head_dim: the width of one attention head (Hugging Face's default 128 when the file has none).</summary>
    [JsonPropertyName("head_dim")] public int HeadDimension { get; init; } = 128;

    /// <summary>attention_bias: biases on q/k/v/o projections (false in every released Qwen3).</summary>
    public bool AttentionBias { get; init; }

    protected override int? DeclaredHeadDim => HeadDimension;
    public override string FamilyModelType => "qwen3";

    /// <summary>A sweep preset as a Qwen3 decoder: head_dim = model_dim / heads (the presets' own width), tied embeddings.</summary>
    public static new Qwen3Config FromPreset(ModelPreset preset, int vocabSize) => new()
    {
        VocabSize = vocabSize, HiddenSize = preset.ModelDim, IntermediateSize = preset.IntermediateSize, NumHiddenLayers = preset.Layers,
        NumAttentionHeads = preset.Heads, NumKeyValueHeads = preset.KvHeads, TieWordEmbeddings = true, MaxPositionEmbeddings = preset.Context,
        HeadDimension = preset.ModelDim / preset.Heads,
    };

    // head_dim is its own field: hidden_size need not split into heads.
    protected override void ValidateHeads()
    {
        if (HeadDimension <= 0) throw new InvalidDataException($"Model config: head_dim must be positive, got {HeadDimension}.");
    }
}
