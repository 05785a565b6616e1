using Dsdr.Learning.Embedding;

namespace Dsdr.Learning.Tests.Embedding;

public class BertWordPieceTokenizerTests
{
    private static BertWordPieceTokenizer Bert => MiniLmEmbedder.Tokenizer;

    [Fact]
    public void VocabularyIsBertBaseUncased()
    {
        Assert.Equal(30522, Bert.VocabSize);
        Assert.Equal((0, 100, 101, 102), (Bert.PadId, Bert.UnknownId, Bert.ClassId, Bert.SeparatorId));
    }

    [Fact]
    public void SplitsWordsIntoGreedyLongestWordPieces()
    {
        // Longest prefix first: "una" (in the vocabulary) beats "un", then the longest "##" pieces.
        Assert.Equal(["una", "##ffa", "##ble"], Bert.Tokenize("unaffable"));
        Assert.True(MiniLmEmbedder.Tokenizer.Tokenize("un").Count == 1);
        Assert.Equal(["the", "cat", "sits", "outside"], Bert.Tokenize("The cat sits outside"));
    }

    [Fact]
    public void KeepsMathSymbolsAsTheirOwnTokens()
    {
        Assert.Equal(["x", "=", "a", "+", "b", "^", "2", "<", "c", "$", "5", ">", "3"], Bert.Tokenize("x = a+b^2<c $5>3"));
        Assert.Equal(["\\", "fra", "##c", "{", "1", "}", "{", "2", "}"], Bert.Tokenize(@"\frac{1}{2}"));
    }

    [Fact]
    public void StripsAccentsAndLowercases()
    {
        Assert.Equal(Bert.Tokenize("cafe naive ecole"), Bert.Tokenize("Café Naïve ÉCOLE"));
        Assert.Equal("angstrom a", BertWordPieceTokenizer.Normalize("Ångström \u212B"));
    }

    [Fact]
    public void DropsControlAndFormatCharactersAndMapsWhitespace()
    {
        Assert.Equal("hello world x", BertWordPieceTokenizer.Normalize("hel\u200Blo\u0000\tworld\u00A0x\uFFFD"));
    }

    [Fact]
    public void IsolatesCjkIdeographsAndDecomposesHangul()
    {
        Assert.Equal(["中", "文"], Bert.Tokenize("中文"));
        Assert.Equal("\u1112\u1161\u11AB", BertWordPieceTokenizer.Normalize("한"));
    }

    [Fact]
    public void UnknownPiecesAndOverlongWordsBecomeUnk()
    {
        Assert.Equal([BertWordPieceTokenizer.UnknownToken], Bert.Tokenize(new string('a', 101)));
        Assert.Equal([BertWordPieceTokenizer.UnknownToken], Bert.Tokenize("\U0001F9EA"));
    }

    [Fact]
    public void EncodeForModelWrapsAndTruncates()
    {
        var ids = Bert.EncodeForModel(string.Join(' ', Enumerable.Repeat("cat", 500)), 256);
        Assert.Equal(256, ids.Length);
        Assert.Equal(Bert.ClassId, ids[0]);
        Assert.Equal(Bert.SeparatorId, ids[^1]);
        Assert.Equal([Bert.ClassId, Bert.SeparatorId], Bert.EncodeForModel("", 256));
        Assert.Throws<ArgumentOutOfRangeException>(() => Bert.EncodeForModel("cat", 1));
    }

    [Fact]
    public void RejectsAVocabularyWithoutBertSpecialTokens()
    {
        var error = Assert.Throws<InvalidDataException>(() => new BertWordPieceTokenizer(["a", "b"]));
        Assert.Contains("[PAD]", error.Message);
    }
}
