using Dsdr.Learning.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests.Losses;

public class TokenLogProbsTests
{
    // Row 0: z = [0, ln 2, ln 5] → p = [1/8, 2/8, 5/8]; row 1: z = [1, 1, 1] → p = 1/3 each.
    private static readonly double[] Logits = [0, Math.Log(2), Math.Log(5), 1, 1, 1];

    [Fact]
    public void SequenceLogProbsPicksTheLogSoftmaxOfTheSampledToken()
    {
        using var scope = NewDisposeScope();
        var logp = TokenLogProbs.SequenceLogProbs(T.D(Logits, 1, 2, 3), T.L([2, 0], 1, 2));
        Assert.Equal([1L, 2L], logp.shape);
        T.Close([-0.4700036292457356, -1.0986122886681098], logp); // ln(5/8), ln(1/3)
    }

    [Theory]
    [InlineData(7L)]      // one token per block: runs of tokens within a sequence
    [InlineData(12L)]     // two tokens per block, the last run shorter
    [InlineData(40L)]     // two whole sequences per block, the last block shorter
    [InlineData(1L << 24)] // one block
    public void BlockwiseLogProbsAndEntropyEqualTheFullComputationOnSlicedLogits(long chunkElements)
    {
        using var scope = NewDisposeScope();
        var generator = new Random(7);
        // [3, 6, 5] logits of which the response is tokens 1..4: a non-contiguous view, as sliced from a model's output
        var values = Enumerable.Range(0, 3 * 6 * 5).Select(_ => generator.NextDouble() * 4 - 2).ToArray();
        var tokens = T.L(Enumerable.Range(0, 12).Select(i => (long)(i * 7 % 5)).ToArray(), 3, 4);
        var weights = T.D(Enumerable.Range(0, 12).Select(i => 0.1 * i - 0.5).ToArray(), 3, 4);

        var blocked = T.Leaf(values, 3, 6, 5);
        var response = blocked.narrow(1, 1, 4);
        Assert.False(response.is_contiguous());
        var fromBlocks = TokenLogProbs.SequenceLogProbs(response, tokens, chunkElements);
        (fromBlocks * weights).sum().backward();

        var plain = T.Leaf(values, 3, 6, 5);
        var full = plain.narrow(1, 1, 4).log_softmax(2);
        var reference = full.gather(2, tokens.unsqueeze(2)).squeeze(2);
        (reference * weights).sum().backward();

        T.Close(T.Values(reference), fromBlocks);
        T.Close(T.Values(plain.grad!), blocked.grad!);
        T.Close(T.Values(-(full.exp() * full).sum(2)), TokenLogProbs.TokenEntropy(response, chunkElements));
    }

    [Fact]
    public void TokenIdsOutsideTheVocabularyAreRejected()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => TokenLogProbs.SequenceLogProbs(T.D(Logits, 1, 2, 3), T.L([3, 0], 1, 2)));
        Assert.Contains("vocabulary of 3", error.Message);
    }

    [Fact]
    public void MismatchedTokenShapeIsRejected()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => TokenLogProbs.SequenceLogProbs(T.D(Logits, 1, 2, 3), T.L([0, 0], 2, 1)));
        Assert.Contains("expected [1, 2]", error.Message);
    }

    [Fact]
    public void TokenEntropyIsTheFullVocabularyEntropyWithoutGradient()
    {
        using var scope = NewDisposeScope();
        var logits = T.Leaf(Logits, 1, 2, 3);
        var entropy = TokenLogProbs.TokenEntropy(logits, chunkElements: 3);
        // −(1/8 ln 1/8 + 2/8 ln 2/8 + 5/8 ln 5/8), ln 3
        T.Close([0.9002560512685369, Math.Log(3)], entropy);
        Assert.False(entropy.requires_grad);
    }
}
