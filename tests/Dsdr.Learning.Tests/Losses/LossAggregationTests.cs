using Dsdr.Learning.Losses;
using AggregationMode = Dsdr.Core.Sweeps.LossAggregation;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests.Losses;

public class LossAggregationTests
{
    private static readonly double[] Loss = [1, 2, 3, 4, 5, 6];
    private static readonly double[] Mask = [1, 1, 0, 1, 0, 0];

    [Theory]
    [InlineData(AggregationMode.TokenMean, 7.0 / 3)]          // (1 + 2 + 4) / 3 tokens
    [InlineData(AggregationMode.SeqMeanTokenMean, 2.75)]      // ((1 + 2)/2 + 4/1) / 2 sequences
    [InlineData(AggregationMode.SeqMeanTokenSum, 3.5)]        // ((1 + 2) + 4) / 2 sequences
    public void EachModeGivesItsHandComputedValue(string mode, double expected)
    {
        using var scope = NewDisposeScope();
        T.Close(expected, LossAggregation.Aggregate(T.D(Loss, 2, 3), T.D(Mask, 2, 3), mode).ToDouble());
    }

    [Theory]
    [InlineData(AggregationMode.TokenMean)]
    [InlineData(AggregationMode.SeqMeanTokenMean)]
    [InlineData(AggregationMode.SeqMeanTokenSum)]
    public void PaddingTokensContributeNeitherValueNorGradient(string mode)
    {
        using var scope = NewDisposeScope();
        var withPadding = T.Leaf([1, 2, 1000, 4, -1000, double.MaxValue / 4], 2, 3);
        var clean = LossAggregation.Aggregate(T.D(Loss, 2, 3), T.D(Mask, 2, 3), mode).ToDouble();
        var padded = LossAggregation.Aggregate(withPadding, T.D(Mask, 2, 3), mode);
        T.Close(clean, padded.ToDouble());
        padded.backward();
        var grad = T.Values(withPadding.grad!);
        Assert.Equal(0.0, grad[2]);
        Assert.Equal(0.0, grad[4]);
        Assert.Equal(0.0, grad[5]);
    }

    [Theory]
    [InlineData(AggregationMode.TokenMean)]
    [InlineData(AggregationMode.SeqMeanTokenMean)]
    [InlineData(AggregationMode.SeqMeanTokenSum)]
    public void MicroBatchesWithMiniBatchTotalsSumToTheMiniBatchLoss(string mode)
    {
        using var scope = NewDisposeScope();
        var totals = new MiniBatchTotals(Tokens: 3, Sequences: 2, Prompts: 1);
        var whole = LossAggregation.Aggregate(T.D(Loss, 2, 3), T.D(Mask, 2, 3), mode).ToDouble();
        var first = LossAggregation.Aggregate(T.D(Loss[..3], 1, 3), T.D(Mask[..3], 1, 3), mode, totals).ToDouble();
        var second = LossAggregation.Aggregate(T.D(Loss[3..], 1, 3), T.D(Mask[3..], 1, 3), mode, totals).ToDouble();
        T.Close(whole, first + second);
    }

    [Fact]
    public void ASequenceWithoutTokensCountsAsZeroInTheSequenceMean()
    {
        using var scope = NewDisposeScope();
        var mask = T.D([1, 1, 0, 0, 0, 0], 2, 3);
        T.Close(0.75, LossAggregation.Aggregate(T.D(Loss, 2, 3), mask, AggregationMode.SeqMeanTokenMean).ToDouble()); // (1.5 + 0) / 2
        T.Close(0.0, LossAggregation.Aggregate(T.D(Loss, 2, 3), zeros(2, 3, ScalarType.Float64), AggregationMode.TokenMean).ToDouble());
    }

    [Fact]
    public void MismatchedMaskIsRejected()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => LossAggregation.Aggregate(T.D(Loss, 2, 3), T.D(Mask, 3, 2), AggregationMode.TokenMean));
        Assert.Contains("must match", error.Message);
    }
}
