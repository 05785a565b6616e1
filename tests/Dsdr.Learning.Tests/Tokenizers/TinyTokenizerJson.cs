using System.Text.Json;
using System.Text.Json.Nodes;
using Dsdr.Learning.Tokenizers;

namespace Dsdr.Learning.Tests.Tokenizers;

/// <summary>Writes a small byte-level BPE tokenizer.json: 256 byte tokens (id = byte value), a few merges, four added tokens.</summary>
internal static class TinyTokenizerJson
{
    public const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // Byte-level spelling: 'Ġ' is a space, 'Ċ' a newline.
    public static readonly (string A, string B)[] Merges =
    [
        ("t", "h"), ("th", "e"), ("Ġ", "the"),
        ("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o"),
        ("Ġ", "w"), ("o", "r"), ("Ġw", "or"), ("l", "d"), ("Ġwor", "ld"),
        ("Ġ", "i"), ("Ġi", "s"),
        ("a", "n"), ("Ġ", "an"), ("s", "w"), ("e", "r"), ("sw", "er"), ("Ġan", "swer"),
        ("1", "2"), ("Ġ", "="), ("Ġ", "x"), ("Ġ", "+"), ("Ã", "©"), ("c", "a"), ("ca", "f"), ("caf", "Ã©"),
    ];

    // Added tokens follow the vocabulary without a gap, as Hugging Face's tokenizers library requires.
    public static readonly int EndOfText = 256 + Merges.Length, ImStart = EndOfText + 1, ImEnd = EndOfText + 2, Think = EndOfText + 3;

    /// <summary>GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the rest map to U+0100 onwards.</summary>
    public static char[] ByteToChar()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
            map[b] = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF ? (char)b : (char)next++;
        return map;
    }

    public static int Id(string byteLevelToken)
    {
        var bytes = ByteToChar();
        if (byteLevelToken.Length == 1) return Array.IndexOf(bytes, byteLevelToken[0]);
        var i = Array.FindIndex(Merges, m => m.A + m.B == byteLevelToken);
        return i >= 0 ? 256 + i : throw new ArgumentException($"no token {byteLevelToken}");
    }

    public static JsonObject Build(bool qwenStyle, bool arrayMerges = false)
    {
        var vocab = new JsonObject();
        var bytes = ByteToChar();
        for (var b = 0; b < 256; b++) vocab[bytes[b].ToString()] = b;
        for (var i = 0; i < Merges.Length; i++) vocab[Merges[i].A + Merges[i].B] = 256 + i;
        var merges = new JsonArray(Merges.Select(m => arrayMerges ? (JsonNode)new JsonArray(m.A, m.B) : JsonValue.Create($"{m.A} {m.B}")).ToArray());

        JsonNode preTokenizer = qwenStyle
            ? new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = Qwen2Pattern }, ["behavior"] = "Isolated", ["invert"] = false },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false }),
            }
            : new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };

        return new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(
                Added(EndOfText, "<|endoftext|>", true), Added(ImStart, "<|im_start|>", true),
                Added(ImEnd, "<|im_end|>", true), Added(Think, "<think>", false)),
            ["normalizer"] = qwenStyle ? new JsonObject { ["type"] = "NFC" } : null,
            ["pre_tokenizer"] = preTokenizer,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = false, ["use_regex"] = false },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false,
                ["vocab"] = vocab, ["merges"] = merges,
            },
        };

        static JsonObject Added(int id, string content, bool special) => new()
        {
            ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
            ["normalized"] = false, ["special"] = special,
        };
    }

    /// <summary>A fresh folder with tokenizer.json (and the given extra JSON files) in it.</summary>
    public static string WriteFolder(JsonObject tokenizer, params (string File, string Json)[] extra)
    {
        var folder = Path.Combine(Path.GetTempPath(), "dsdr-tok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, HfTokenizer.FileName), tokenizer.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        foreach (var (file, json) in extra) File.WriteAllText(Path.Combine(folder, file), json);
        return folder;
    }
}
