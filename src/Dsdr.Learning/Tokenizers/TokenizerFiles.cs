namespace Dsdr.Learning.Tokenizers;

/// <summary>Finds and loads the tokenizer saved beside a checkpoint.</summary>
public static class TokenizerFiles
{
    public static ITokenizer Load(string folder)
    {
        var charVocab = Path.Combine(folder, CharTokenizer.FileName);
        if (File.Exists(charVocab)) return CharTokenizer.Load(charVocab);
        throw new FileNotFoundException(
            $"No tokenizer in {folder}: expected {CharTokenizer.FileName} (character tokenizer).", folder);
    }
}
