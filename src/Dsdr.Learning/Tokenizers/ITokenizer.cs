namespace Dsdr.Learning.Tokenizers;

/// <summary>Text ↔ token ids for a policy model.</summary>
public interface ITokenizer
{
    int VocabSize { get; }

    /// <summary>End-of-sequence id: generation stops there.</summary>
    int EosId { get; }

    /// <summary>Padding id (left padding for batched prompts).</summary>
    int PadId { get; }

    IReadOnlyList<int> Encode(string text);

    /// <summary>Decodes ids, skipping special tokens (pad, eos, …).</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>Writes the files that <see cref="TokenizerFiles.Load"/> reads back, into a checkpoint folder.</summary>
    void Save(string folder);
}
