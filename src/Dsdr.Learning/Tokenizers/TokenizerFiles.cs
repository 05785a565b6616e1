namespace Dsdr.Learning.Tokenizers;

/// <summary>Finds and loads the tokenizer saved beside a checkpoint.</summary>
public static class TokenizerFiles
{
    /// <summary>char_vocab.json → <see cref="CharTokenizer"/>; else tokenizer.json → <see cref="HfTokenizer"/>.</summary>
    public static ITokenizer Load(string folder)
    {
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Tokenizer folder {folder} does not exist.");
        var charVocab = Path.Combine(folder, CharTokenizer.FileName);
        if (File.Exists(charVocab)) return CharTokenizer.Load(charVocab);
        if (File.Exists(Path.Combine(folder, HfTokenizer.FileName))) return HfTokenizer.Load(folder);
        throw new FileNotFoundException(
            $"No tokenizer in {folder}: expected {CharTokenizer.FileName} (character tokenizer) or {HfTokenizer.FileName} (Hugging Face byte-level BPE).", folder);
    }
}
