using System.Text.Json;

namespace Dsdr.Learning.Tokenizers;

/// <summary>One token per character, for the synthetic tasks. Ids 0 and 1 are pad and eos.</summary>
public sealed class CharTokenizer : ITokenizer
{
    public const string FileName = "char_vocab.json";
    private const string PadToken = "<pad>";
    private const string EosToken = "<eos>";

    private readonly IReadOnlyList<string> _tokens;
    private readonly Dictionary<char, int> _ids;

    public CharTokenizer(IEnumerable<char> alphabet)
    {
        var chars = alphabet.Distinct().OrderBy(c => c).ToList();
        _tokens = [PadToken, EosToken, .. chars.Select(c => c.ToString())];
        _ids = chars.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i + 2);
    }

    public int VocabSize => _tokens.Count;
    public int PadId => 0;
    public int EosId => 1;
    public IReadOnlyList<char> Alphabet => _ids.Keys.OrderBy(c => c).ToList();

    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new int[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            if (!_ids.TryGetValue(text[i], out ids[i]))
                throw new ArgumentException($"Character '{text[i]}' (at {i}) is not in this tokenizer's alphabet \"{new string([.. Alphabet])}\".", nameof(text));
        }
        return ids;
    }

    public string Decode(IEnumerable<int> ids) =>
        string.Concat(ids.Where(id => id >= 2 && id < _tokens.Count).Select(id => _tokens[id]));

    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        var json = JsonSerializer.Serialize(new CharVocabFile("char", new string([.. Alphabet])));
        File.WriteAllText(Path.Combine(folder, FileName), json);
    }

    public static CharTokenizer Load(string path)
    {
        var file = JsonSerializer.Deserialize<CharVocabFile>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"{path} is empty; expected {{\"kind\":\"char\",\"alphabet\":\"...\"}}.");
        if (file.Kind != "char" || string.IsNullOrEmpty(file.Alphabet))
            throw new InvalidDataException($"{path} is not a character vocabulary; expected {{\"kind\":\"char\",\"alphabet\":\"...\"}}.");
        return new CharTokenizer(file.Alphabet);
    }

    private sealed record CharVocabFile(
        [property: System.Text.Json.Serialization.JsonPropertyName("kind")] string Kind,
        [property: System.Text.Json.Serialization.JsonPropertyName("alphabet")] string Alphabet);
}
