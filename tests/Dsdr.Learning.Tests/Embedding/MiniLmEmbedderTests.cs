using Dsdr.Learning.Embedding;

namespace Dsdr.Learning.Tests.Embedding;

public class MiniLmEmbedderTests
{
    private static readonly MiniLmEmbedder Encoder = MiniLmEmbedder.Get();

    private static double Cosine(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();

    private static double MaxAbsDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    [Fact]
    public void Gives384DimensionalUnitVectors()
    {
        var vectors = Encoder.Embed(["The cat sits outside", "", "x = 1"]);
        Assert.Equal(3, vectors.Count);
        Assert.All(vectors, v =>
        {
            Assert.Equal(384, v.Length);
            Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 5);
        });
        Assert.Equal(384, Encoder.Dimension);
        Assert.Empty(Encoder.Embed([]));
    }

    // Cosine similarities printed by sentence-transformers' documentation for all-MiniLM-L6-v2
    // (sbert.net, "Semantic Textual Similarity" usage page), 4 decimals.
    [Theory]
    [InlineData("The new movie is awesome", "The new movie is so great", 0.8939)]
    [InlineData("The new movie is awesome", "The dog plays in the garden", 0.0543)]
    [InlineData("The new movie is awesome", "A woman watches TV", -0.0502)]
    [InlineData("The cat sits outside", "The dog plays in the garden", 0.2838)]
    [InlineData("The cat sits outside", "The new movie is so great", -0.0029)]
    [InlineData("The cat sits outside", "A woman watches TV", 0.1310)]
    [InlineData("A man is playing guitar", "The dog plays in the garden", 0.2277)]
    [InlineData("A man is playing guitar", "The new movie is so great", -0.0136)]
    [InlineData("A man is playing guitar", "A woman watches TV", -0.0327)]
    public void MatchesTheReferenceModelsPublishedSimilarities(string a, string b, double expected)
    {
        var v = Encoder.Embed([a, b]);
        Assert.InRange(Cosine(v[0], v[1]), expected - 2e-4, expected + 2e-4);
    }

    [Fact]
    public void AParaphraseIsCloserThanAnUnrelatedSentence()
    {
        var v = Encoder.Embed([
            "The derivative of x squared is two x.",
            "Differentiating x^2 gives 2x.",
            "My grandmother keeps bees in her garden."]);
        Assert.True(Cosine(v[0], v[1]) > Cosine(v[0], v[2]) + 0.2, $"paraphrase {Cosine(v[0], v[1]):F3}, unrelated {Cosine(v[0], v[2]):F3}");
    }

    [Theory]
    [InlineData("=")]
    [InlineData("+")]
    [InlineData("^")]
    [InlineData("<")]
    [InlineData(">")]
    [InlineData("$")]
    public void MathSymbolsChangeTheEmbedding(string symbol)
    {
        var v = Encoder.Embed(["a b", $"a {symbol} b", $"a{symbol}b"]);
        Assert.True(MaxAbsDiff(v[0], v[1]) > 1e-3, $"'{symbol}' was dropped");
        Assert.True(MaxAbsDiff(v[1], v[2]) < 1e-5, "spacing around punctuation must not matter");
    }

    [Fact]
    public void AccentsAreStrippedLikeTheReference()
    {
        var v = Encoder.Embed(["Café au lait, naïve élève", "cafe au lait, naive eleve"]);
        Assert.True(MaxAbsDiff(v[0], v[1]) < 1e-6);
    }

    [Fact]
    public void TruncatesAt256WordPiecesIncludingClsAndSep()
    {
        // Every word is one word-piece, so the first 254 words are the first 254 word-pieces.
        string[] vocabulary = ["the", "cat", "sat", "on", "a", "mat", "and", "then", "ran", "home"];
        var words = Enumerable.Range(0, 2000).Select(i => vocabulary[i * 7 % vocabulary.Length]).ToArray();
        Assert.Equal(2000, MiniLmEmbedder.Tokenizer.EncodeWordPieces(string.Join(' ', words)).Count);

        var v = Encoder.Embed([string.Join(' ', words), string.Join(' ', words[..254]), string.Join(' ', words[..253])]);
        Assert.True(MaxAbsDiff(v[0], v[1]) < 1e-5);
        Assert.True(MaxAbsDiff(v[0], v[2]) > 1e-4, "the 254th word-piece must still count");
    }

    [Fact]
    public void BatchedEqualsOneByOne()
    {
        var encoder = MiniLmEmbedder.Get(new MiniLmOptions(IntraOpThreads: 1, BatchSize: 3));
        string[] texts =
        [
            "Short.", "Let x = 3; then x^2 + 1 = 10.", "", "A considerably longer sentence about prime numbers, divisors and remainders modulo 7.",
            "Σ_{k=1}^{n} k = n(n+1)/2", "yes", "The answer is $\\boxed{42}$.", "Two plus two equals four, not five.",
        ];
        var batched = encoder.Embed(texts);
        for (var i = 0; i < texts.Length; i++)
            Assert.True(MaxAbsDiff(batched[i], encoder.Embed([texts[i]])[0]) < 1e-5, $"text {i}");
    }

    [Fact]
    public void IsThreadSafe()
    {
        var texts = Enumerable.Range(0, 12).Select(i => $"Problem {i}: compute {i} * {i + 1} = {i * (i + 1)}.").ToArray();
        var expected = Encoder.Embed(texts);
        var results = new IReadOnlyList<float[]>[4];
        Parallel.For(0, results.Length, k => results[k] = Encoder.Embed(texts));
        Assert.All(results, r => Assert.All(Enumerable.Range(0, texts.Length), i => Assert.True(MaxAbsDiff(r[i], expected[i]) < 1e-5)));
    }

    [Fact]
    public void SameOptionsGiveTheSameInstance()
    {
        Assert.Same(MiniLmEmbedder.Get(new MiniLmOptions()), MiniLmEmbedder.Get());
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniLmEmbedder.Get(new MiniLmOptions(MaxSeqLength: 513)));
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniLmEmbedder.Get(new MiniLmOptions(BatchSize: 0)));
        Assert.Throws<ArgumentException>(() => Encoder.Embed(["a", null!]));
    }
}
