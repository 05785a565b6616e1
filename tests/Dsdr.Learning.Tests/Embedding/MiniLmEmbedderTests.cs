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

    private static readonly string[] MixedTexts =
    [
        "Short.", "Let x = 3; then x^2 + 1 = 10.", "", "A considerably longer sentence about prime numbers, divisors and remainders modulo 7.",
        "Σ_{k=1}^{n} k = n(n+1)/2", "yes", "The answer is $\\boxed{42}$.", "Two plus two equals four, not five.",
        "(5+3)*8", "19*4-(17+2)", "8*(3+5)", "20/4+7*3-1",
    ];

    // A vector is a function of its text alone: batch-mates (through padding), batch size and thread count change no bit.
    [Theory]
    [InlineData(1, 3)]
    [InlineData(2, 32)]
    public void BatchedEqualsOneByOneBitForBit(int threads, int batchSize)
    {
        var encoder = MiniLmEmbedder.Get(new MiniLmOptions(IntraOpThreads: threads, BatchSize: batchSize, CacheCapacity: 0));
        var batched = encoder.Embed(MixedTexts);
        var reversed = encoder.Embed(MixedTexts.Reverse().ToArray()).Reverse().ToList();
        var reference = MiniLmEmbedder.Get(new MiniLmOptions(IntraOpThreads: 1, BatchSize: 1, CacheCapacity: 0));
        for (var i = 0; i < MixedTexts.Length; i++)
        {
            var alone = reference.Embed([MixedTexts[i]])[0];
            Assert.True(alone.AsSpan().SequenceEqual(batched[i]), $"text {i} differs alone and in a batch");
            Assert.True(alone.AsSpan().SequenceEqual(reversed[i]), $"text {i} differs with other batch-mates");
        }
    }

    [Fact]
    public void ConcurrentCallersGetTheSameBits()
    {
        var encoder = MiniLmEmbedder.Get(new MiniLmOptions(IntraOpThreads: 2, BatchSize: 5, CacheCapacity: 0));
        var texts = Enumerable.Range(0, 24).Select(i => $"Problem {i}: compute {i} * {i + 1} = {i * (i + 1)}.").Concat(MixedTexts).ToArray();
        var expected = encoder.Embed(texts);
        var results = new IReadOnlyList<float[]>[6];
        // each caller sends the texts rotated by a different amount, so the padded batches are made of other texts
        Parallel.For(0, results.Length, k =>
        {
            var shift = 5 * k % texts.Length;
            var rotated = encoder.Embed([.. texts.Skip(shift), .. texts.Take(shift)]);
            results[k] = [.. rotated.Skip(texts.Length - shift), .. rotated.Take(texts.Length - shift)];
        });
        Assert.All(results, r => Assert.All(Enumerable.Range(0, texts.Length), i => Assert.True(r[i].AsSpan().SequenceEqual(expected[i]), $"text {i}")));
    }

    [Fact]
    public void TheCacheAnswersRepeatsWithTheSameBitsAndForgetsTheLeastRecentlyUsed()
    {
        var uncached = MiniLmEmbedder.Get(new MiniLmOptions(IntraOpThreads: 1, CacheCapacity: 0));
        var encoder = MiniLmEmbedder.Get(new MiniLmOptions(IntraOpThreads: 1, CacheCapacity: 3));
        var (hits0, encoded0) = encoder.CacheStatistics;
        var first = encoder.Embed(["(5+3)*8", "12-7", "(5+3)*8"]);
        Assert.Same(first[0], first[2]);
        Assert.Equal((hits0, encoded0 + 2), encoder.CacheStatistics);

        var again = encoder.Embed(["12-7", "(5+3)*8"]);
        Assert.Same(first[1], again[0]);
        Assert.Equal((hits0 + 2, encoded0 + 2), encoder.CacheStatistics);
        Assert.True(uncached.Embed(["12-7"])[0].AsSpan().SequenceEqual(again[0]));

        encoder.Embed(["a", "b"]);            // capacity 3: "12-7" is now the least recently used and goes
        var (hits1, encoded1) = encoder.CacheStatistics;
        encoder.Embed(["(5+3)*8", "b", "12-7"]);
        Assert.Equal((hits1 + 2, encoded1 + 1), encoder.CacheStatistics);
    }

    [Fact]
    public void ThisMachinesKernelsAreBatchInvariant()
    {
        // Not required for correctness (the encoder falls back to one text per call), but then batching buys nothing.
        Assert.True(Encoder.BatchInvariant, "ONNX Runtime's kernels give other bits in a padded batch on this CPU; Embed runs one text per call");
    }

    [Fact]
    public void SameOptionsGiveTheSameInstance()
    {
        Assert.Same(MiniLmEmbedder.Get(new MiniLmOptions()), MiniLmEmbedder.Get());
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniLmEmbedder.Get(new MiniLmOptions(MaxSeqLength: 513)));
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniLmEmbedder.Get(new MiniLmOptions(BatchSize: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => MiniLmEmbedder.Get(new MiniLmOptions(CacheCapacity: -1)));
        Assert.Throws<ArgumentException>(() => Encoder.Embed(["a", null!]));
    }
}
