using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Dsdr.Learning.Tokenizers;

/// <summary>
/// A Hugging Face tokenizer.json with a byte-level BPE model (GPT-2 and Qwen2 style), encoded and decoded
/// through Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>.
/// </summary>
/// <remarks>
/// Read from tokenizer.json: model.vocab, model.merges ("a b" strings or ["a","b"] pairs), added_tokens
/// (matched as whole tokens anywhere in the text, longest first; those marked special are skipped by
/// <see cref="Decode"/>), and pre_tokenizer: <c>ByteLevel</c> with use_regex (GPT-2's pattern) or
/// <c>Sequence[Split(Regex, Isolated), ByteLevel(use_regex=false)]</c> (Qwen2's pattern is read from the file).
/// The optional NFC normalizer (Qwen2) is applied with <see cref="UnicodeNfc"/> (table-driven, so it works under
/// invariant globalization).
/// <para>End of sequence, first found: tokenizer_config.json "eos_token", generation_config.json
/// "eos_token_id" (first of a list), config.json "eos_token_id", else the first of
/// <see cref="EosFallbacks"/> that the vocabulary has. Padding: "pad_token", "pad_token_id" (same files),
/// else the eos id. <see cref="StopIds"/> adds every eos id listed in generation_config.json.</para>
/// Thread-safe for encoding and decoding.
/// </remarks>
public sealed class HfTokenizer : ITokenizer
{
    public const string FileName = "tokenizer.json";
    public const string ConfigFileName = "tokenizer_config.json";
    private const string GenerationConfigFileName = "generation_config.json";
    private const string ModelConfigFileName = "config.json";

    /// <summary>GPT-2's pre-tokenization pattern, used by a ByteLevel pre-tokenizer with use_regex = true.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>End-of-sequence tokens tried, in order, when no config file names one.</summary>
    public static readonly IReadOnlyList<string> EosFallbacks = ["<|endoftext|>", "<|im_end|>", "</s>", "<eos>"];

    private readonly BpeTokenizer _bpe;
    private readonly string _tokenizerJson;
    private readonly JsonObject _tokenizerConfig;
    private readonly Dictionary<int, string> _addedById;
    private readonly HashSet<int> _specialIds;
    private readonly Dictionary<string, int> _tokenIds;
    private readonly Dictionary<int, string> _tokenById;
    private readonly bool _addPrefixSpace;
    private readonly bool _nfc;

    private HfTokenizer(string tokenizerJson, JsonObject? tokenizerConfig, JsonObject? generationConfig, JsonObject? modelConfig, string source)
    {
        _tokenizerJson = tokenizerJson;
        _tokenizerConfig = tokenizerConfig ?? new JsonObject();
        var root = ParseObject(tokenizerJson, source);

        var model = root["model"] as JsonObject ?? throw Invalid(source, "has no \"model\" object");
        var type = model["type"]?.GetValue<string>();
        if (type is not "BPE") throw Invalid(source, $"has model type \"{type}\"; only byte-level BPE (\"BPE\", as GPT-2 and Qwen2 use) is supported");
        if (model["byte_fallback"]?.GetValue<bool>() == true)
            throw Invalid(source, "uses byte_fallback (SentencePiece-style BPE); only byte-level BPE (GPT-2, Qwen2) is supported");
        if (model["ignore_merges"]?.GetValue<bool>() == true)
            throw Invalid(source, "sets ignore_merges (Llama-3 style), which Microsoft.ML.Tokenizers' BPE does not implement");

        var vocab = ReadVocab(model, source);
        var merges = ReadMerges(model, source);
        var added = ReadAddedTokens(root, source);
        _addedById = added.ToDictionary(a => a.Id, a => a.Content);
        _specialIds = added.Where(a => a.Special).Select(a => a.Id).ToHashSet();
        _tokenIds = new Dictionary<string, int>(vocab, StringComparer.Ordinal);
        foreach (var a in added) _tokenIds[a.Content] = a.Id;
        _tokenById = new Dictionary<int, string>(_tokenIds.Count);
        foreach (var (token, id) in _tokenIds) _tokenById.TryAdd(id, token);
        foreach (var a in added) _tokenById[a.Id] = a.Content;

        (PreTokenizerPattern, _addPrefixSpace) = ReadPreTokenizer(root, source);
        _nfc = ReadNormalizer(root, source);

        // Longest first, so that a token which is a prefix of another never wins the match.
        var specialTokens = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var a in added.OrderByDescending(a => a.Content.Length)) specialTokens[a.Content] = a.Id;

        try
        {
            _bpe = BpeTokenizer.Create(new BpeOptions(vocab)
            {
                Merges = merges,
                SpecialTokens = specialTokens,
                PreTokenizer = new RegexPreTokenizer(new Regex(PreTokenizerPattern, RegexOptions.Compiled), specialTokens),
                ByteLevel = true,
                UnknownToken = model["unk_token"]?.GetValue<string>(),
                ContinuingSubwordPrefix = model["continuing_subword_prefix"]?.GetValue<string>(),
                EndOfWordSuffix = model["end_of_word_suffix"]?.GetValue<string>(),
            });
        }
        catch (InvalidOperationException e)
        {
            throw Invalid(source, $"has an inconsistent vocabulary and merge list ({e.Message})");
        }

        VocabSize = _tokenIds.Values.Max() + 1;
        EosToken = ResolveEos(generationConfig, modelConfig, source);
        EosId = _tokenIds[EosToken];
        PadToken = ResolvePad(generationConfig, modelConfig, source) ?? EosToken;
        PadId = _tokenIds[PadToken];
        StopIds = [EosId, .. EosIdsIn(generationConfig).Where(id => id != EosId && _tokenById.ContainsKey(id)).Distinct()];
    }

    /// <summary>Loads tokenizer.json from <paramref name="folder"/>, with tokenizer_config.json, generation_config.json and config.json when present.</summary>
    public static HfTokenizer Load(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException($"No {FileName} in {folder}: a Hugging Face byte-level BPE tokenizer is expected there.", path);
        return new HfTokenizer(
            File.ReadAllText(path),
            ReadOptionalObject(Path.Combine(folder, ConfigFileName)),
            ReadOptionalObject(Path.Combine(folder, GenerationConfigFileName)),
            ReadOptionalObject(Path.Combine(folder, ModelConfigFileName)),
            path);
    }

    public int VocabSize { get; }
    public int EosId { get; }
    public int PadId { get; }
    public string EosToken { get; }
    public string PadToken { get; }

    /// <summary>Ids at which generation stops: <see cref="EosId"/> and every eos_token_id of generation_config.json.</summary>
    public IReadOnlyList<int> StopIds { get; }

    /// <summary>The regular expression that splits text into words before BPE.</summary>
    public string PreTokenizerPattern { get; }

    /// <summary>Added tokens (special or not): id → content.</summary>
    public IReadOnlyDictionary<int, string> AddedTokens => _addedById;

    /// <summary>The id of a vocabulary or added token (byte-level form, e.g. "Ġthe"), or null.</summary>
    public int? TokenToId(string token) => _tokenIds.TryGetValue(token, out var id) ? id : null;

    public IReadOnlyList<int> Encode(string text) => _bpe.EncodeToIds(Prepare(text));

    /// <summary>Token strings (byte-level form) of <paramref name="text"/>, for inspection.</summary>
    public IReadOnlyList<string> EncodeToTokens(string text) => _bpe.EncodeToTokens(Prepare(text), out _).Select(t => t.Value).ToList();

    private string Prepare(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_nfc) text = UnicodeNfc.Normalize(text);
        return _addPrefixSpace && text.Length > 0 && !char.IsWhiteSpace(text[0]) ? " " + text : text;
    }

    /// <summary>Text of <paramref name="ids"/>; special added tokens (eos, pad, im_start, …) and ids without a token are skipped, other added tokens kept verbatim.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        var run = new List<int>();
        foreach (var id in ids)
        {
            if (_specialIds.Contains(id)) continue;
            if (_addedById.TryGetValue(id, out var content))
            {
                Flush();
                text.Append(content);
                continue;
            }
            // Ids with no token (a model's embedding rows past the tokenizer's vocabulary) decode to nothing, as in Hugging Face.
            if (_tokenById.ContainsKey(id)) run.Add(id);
        }
        Flush();
        return text.ToString();

        void Flush()
        {
            if (run.Count == 0) return;
            text.Append(_bpe.Decode(run, considerSpecialTokens: false));
            run.Clear();
        }
    }

    /// <summary>Writes tokenizer.json as read and tokenizer_config.json with this tokenizer's eos and pad tokens.</summary>
    public void Save(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, FileName), _tokenizerJson);
        var config = (JsonObject)_tokenizerConfig.DeepClone();
        config["eos_token"] = EosToken;
        config["pad_token"] = PadToken;
        File.WriteAllText(Path.Combine(folder, ConfigFileName), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static Dictionary<string, int> ReadVocab(JsonObject model, string source)
    {
        if (model["vocab"] is not JsonObject vocab || vocab.Count == 0) throw Invalid(source, "has no model.vocab object (token → id)");
        var result = new Dictionary<string, int>(vocab.Count, StringComparer.Ordinal);
        foreach (var (token, id) in vocab)
            result[token] = id?.GetValueKind() == JsonValueKind.Number ? id.GetValue<int>() : throw Invalid(source, $"has a non-numeric id for vocabulary token \"{token}\"");
        return result;
    }

    private static List<string> ReadMerges(JsonObject model, string source)
    {
        if (model["merges"] is not JsonArray merges) throw Invalid(source, "has no model.merges array");
        var result = new List<string>(merges.Count);
        for (var i = 0; i < merges.Count; i++)
        {
            (string A, string B) pair = merges[i] switch
            {
                JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Split(' ') is [var a, var b] => (a, b),
                JsonArray { Count: 2 } arr when arr[0]?.GetValueKind() == JsonValueKind.String && arr[1]?.GetValueKind() == JsonValueKind.String
                    => (arr[0]!.GetValue<string>(), arr[1]!.GetValue<string>()),
                _ => throw Invalid(source, $"has merge {i} = {merges[i]?.ToJsonString()}; a merge is \"a b\" or [\"a\", \"b\"]"),
            };
            if (pair.A.Length == 0 || pair.B.Length == 0 || pair.A.Contains(' ') || pair.B.Contains(' '))
                throw Invalid(source, $"has merge {i} = {merges[i]!.ToJsonString()} with an empty token or a space inside a token, which byte-level BPE never produces");
            result.Add(pair.A + " " + pair.B);
        }
        return result;
    }

    private sealed record AddedToken(int Id, string Content, bool Special);

    private static List<AddedToken> ReadAddedTokens(JsonObject root, string source)
    {
        var result = new List<AddedToken>();
        if (root["added_tokens"] is not JsonArray added) return result;
        foreach (var node in added)
        {
            if (node is not JsonObject o || o["id"] is null || o["content"] is null)
                throw Invalid(source, $"has an added token without id and content: {node?.ToJsonString()}");
            var content = o["content"]!.GetValue<string>();
            if (content.Length == 0) throw Invalid(source, "has an empty added token");
            result.Add(new AddedToken(o["id"]!.GetValue<int>(), content, o["special"]?.GetValue<bool>() ?? false));
        }
        return result;
    }

    private static (string Pattern, bool AddPrefixSpace) ReadPreTokenizer(JsonObject root, string source)
    {
        const string supported = "supported: ByteLevel (use_regex: true, GPT-2) or Sequence[Split(Regex, Isolated), ByteLevel(use_regex: false)] (Qwen2)";
        var pre = root["pre_tokenizer"] as JsonObject ?? throw Invalid(source, $"has no pre_tokenizer; {supported}");
        var steps = pre["type"]?.GetValue<string>() == "Sequence"
            ? (pre["pretokenizers"] as JsonArray ?? throw Invalid(source, "has a Sequence pre_tokenizer without \"pretokenizers\"")).Select(n => n as JsonObject).ToList()
            : [pre];
        switch (steps)
        {
            case [{ } byteLevel] when Type(byteLevel) == "ByteLevel" && (byteLevel["use_regex"]?.GetValue<bool>() ?? true):
                return (Gpt2Pattern, AddPrefixSpace(byteLevel));
            case [{ } split, { } byteLevel] when Type(split) == "Split" && Type(byteLevel) == "ByteLevel" && byteLevel["use_regex"]?.GetValue<bool>() == false:
                var pattern = split["pattern"]?["Regex"]?.GetValue<string>()
                    ?? throw Invalid(source, "has a Split pre-tokenizer without a {\"Regex\": ...} pattern");
                if (split["behavior"]?.GetValue<string>() is not "Isolated" || split["invert"]?.GetValue<bool>() == true)
                    throw Invalid(source, $"has a Split pre-tokenizer with behavior {split["behavior"]?.ToJsonString()} / invert {split["invert"]?.ToJsonString()}; only Isolated, not inverted, is supported");
                try { _ = new Regex(pattern); }
                catch (ArgumentException e) { throw Invalid(source, $"has a Split regex .NET cannot parse ({e.Message})"); }
                return (pattern, AddPrefixSpace(byteLevel));
            default:
                throw Invalid(source, $"has pre_tokenizer {pre.ToJsonString()}; {supported}");
        }

        static string? Type(JsonObject o) => o["type"]?.GetValue<string>();
        static bool AddPrefixSpace(JsonObject byteLevel) => byteLevel["add_prefix_space"]?.GetValue<bool>() ?? false;
    }

    // true for NFC, false for none.
    private static bool ReadNormalizer(JsonObject root, string source)
    {
        if (root["normalizer"] is not JsonObject normalizer) return false;
        return normalizer["type"]?.GetValue<string>() == "NFC"
            ? true
            : throw Invalid(source, $"has normalizer {normalizer.ToJsonString()}; only none or NFC (Qwen2) is supported");
    }

    private string ResolveEos(JsonObject? generationConfig, JsonObject? modelConfig, string source)
    {
        if (TokenName(_tokenizerConfig["eos_token"]) is { } named) return Known(named, $"{ConfigFileName} eos_token");
        foreach (var (config, file) in new[] { (generationConfig, GenerationConfigFileName), (modelConfig, ModelConfigFileName) })
            if (EosIdsIn(config).FirstOrDefault(-1) is var id and >= 0) return TokenOf(id, $"{file} eos_token_id");
        return EosFallbacks.FirstOrDefault(_tokenIds.ContainsKey)
            ?? throw Invalid(source, $"names no end-of-sequence token: set \"eos_token\" in {ConfigFileName} (none of {string.Join(", ", EosFallbacks)} is in the vocabulary)");
    }

    private string? ResolvePad(JsonObject? generationConfig, JsonObject? modelConfig, string source)
    {
        if (TokenName(_tokenizerConfig["pad_token"]) is { } named) return Known(named, $"{ConfigFileName} pad_token");
        foreach (var (config, file) in new[] { (generationConfig, GenerationConfigFileName), (modelConfig, ModelConfigFileName) })
            if (config?["pad_token_id"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number) return TokenOf(v.GetValue<int>(), $"{file} pad_token_id");
        return null;
    }

    private string Known(string token, string where) =>
        _tokenIds.ContainsKey(token) ? token : throw new InvalidDataException($"{where} is \"{token}\", which is not in the tokenizer's vocabulary or added tokens.");

    private string TokenOf(int id, string where) =>
        _tokenById.TryGetValue(id, out var token) ? token : throw new InvalidDataException($"{where} is {id}, which is not a token id of this tokenizer.");

    private static IEnumerable<int> EosIdsIn(JsonObject? config) => config?["eos_token_id"] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => [v.GetValue<int>()],
        JsonArray a => a.Where(n => n?.GetValueKind() == JsonValueKind.Number).Select(n => n!.GetValue<int>()),
        _ => [],
    };

    // "eos_token": "<|im_end|>" or {"content": "<|im_end|>", ...}
    private static string? TokenName(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonObject o when o["content"] is JsonValue c && c.GetValueKind() == JsonValueKind.String => c.GetValue<string>(),
        _ => null,
    };

    private static JsonObject ParseObject(string json, string source)
    {
        try
        {
            return JsonNode.Parse(json) as JsonObject ?? throw Invalid(source, "is not a JSON object");
        }
        catch (JsonException e)
        {
            throw Invalid(source, $"is not valid JSON ({e.Message})");
        }
    }

    private static JsonObject? ReadOptionalObject(string path) => File.Exists(path) ? ParseObject(File.ReadAllText(path), path) : null;

    private static InvalidDataException Invalid(string source, string problem) => new($"{source} {problem}.");
}
