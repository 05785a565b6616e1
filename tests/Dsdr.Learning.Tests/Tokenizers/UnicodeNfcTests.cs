using Dsdr.Learning.Tokenizers;

namespace Dsdr.Learning.Tests.Tokenizers;

public class UnicodeNfcTests
{
    [Theory]
    [InlineData("e\u0301", "\u00E9")]                     // e + combining acute → é
    [InlineData("\u1112\u1161\u11AB", "\uD55C")]          // Hangul jamo L V T → 한
    [InlineData("\uF900", "\u8C48")]                      // CJK compatibility ideograph → unified
    [InlineData("\u212B", "\u00C5")]                      // ANGSTROM SIGN → Å
    [InlineData("a\u0301\u0323", "\u1EA1\u0301")]         // reordered (dot below first), composed, acute left over
    [InlineData("\u00C5\u0301", "\u01FA")]                // Å + acute → Ǻ
    [InlineData("plain ASCII, x^2 = 4", "plain ASCII, x^2 = 4")]
    [InlineData("\U0001D53D \u03A9", "\U0001D53D \u03A9")]
    public void NormalizesToFormC(string input, string expected) => Assert.Equal(expected, UnicodeNfc.Normalize(input));

    [Fact]
    public void Qwen2TokenizerNormalizesBeforeEncoding()
    {
        var qwen = HfTokenizer.Load(TinyTokenizerJson.WriteFolder(TinyTokenizerJson.Build(qwenStyle: true)));
        Assert.Equal(qwen.Encode("café"), qwen.Encode("cafe\u0301"));
        var gpt2 = HfTokenizer.Load(TinyTokenizerJson.WriteFolder(TinyTokenizerJson.Build(qwenStyle: false)));
        Assert.NotEqual(gpt2.Encode("café"), gpt2.Encode("cafe\u0301"));
    }
}
