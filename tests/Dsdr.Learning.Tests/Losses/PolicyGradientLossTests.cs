using Dsdr.Learning.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests.Losses;

public class PolicyGradientLossTests
{
    // Two sequences of three tokens with ρ = [0.5, 1, 1.5]; sequence 0 has A = +1, sequence 1 has A = −1.
    // ε_low = 0.2, ε_high = 0.28 → clip(ρ) = [0.8, 1, 1.28].
    private static readonly double[] Logp = [Math.Log(0.3), Math.Log(0.5), Math.Log(0.6), Math.Log(0.3), Math.Log(0.5), Math.Log(0.6)];
    private static readonly double[] Ratios = [0.5, 1.0, 1.5, 0.5, 1.0, 1.5];
    private static readonly double[] Advantages = [1.0, -1.0];

    [Fact]
    public void RatioIsExpOfTheLogProbDifference()
    {
        using var scope = NewDisposeScope();
        T.Close(Ratios, PolicyGradientLoss.Ratio(T.D(Logp, 2, 3), T.D(T.OldFor(Logp, Ratios), 2, 3)));
    }

    [Fact]
    public void BothClipBranchesGiveHandComputedLossesAndGradients()
    {
        using var scope = NewDisposeScope();
        var logp = T.Leaf(Logp, 2, 3);
        var result = PolicyGradientLoss.ClippedSurrogate(
            logp, T.D(T.OldFor(Logp, Ratios), 2, 3), T.D(Advantages, 2), ones(2, 3, ScalarType.Float64), 0.2, 0.28);
        // A = +1: −min(ρ, clip ρ) = [−0.5, −1, −1.28]   (ρ = 1.5 takes the upper clip)
        // A = −1: −min(−ρ, −clip ρ) = [0.8, 1, 1.5]    (ρ = 0.5 takes the lower clip)
        T.Close([-0.5, -1.0, -1.28, 0.8, 1.0, 1.5], result.PerTokenLoss);
        // ∂L/∂log π = −A·ρ on the unclipped branch, 0 where the clip acts
        result.PerTokenLoss.sum().backward();
        T.Close([-0.5, -1.0, 0.0, 0.0, 1.0, 1.5], logp.grad!);
        Assert.Equal(new ClipFractions(Low: 1.0 / 6, High: 1.0 / 6, Dual: 0.0), result.ClipFractions);
    }

    [Fact]
    public void DualClipBoundsNegativeAdvantageLossByCTimesMinusA()
    {
        using var scope = NewDisposeScope();
        var logp = T.Leaf(Logp, 2, 3);
        var result = PolicyGradientLoss.ClippedSurrogate(
            logp, T.D(T.OldFor(Logp, Ratios), 2, 3), T.D(Advantages, 2), ones(2, 3, ScalarType.Float64), 0.2, 0.28, dualClip: 1.4);
        // only the A < 0, ρ = 1.5 token changes: min(1.5, −c·A = 1.4) = 1.4, and it no longer has a gradient
        T.Close([-0.5, -1.0, -1.28, 0.8, 1.0, 1.4], result.PerTokenLoss);
        result.PerTokenLoss.sum().backward();
        T.Close([-0.5, -1.0, 0.0, 0.0, 1.0, 0.0], logp.grad!);
        T.Close(1.0 / 6, result.ClipFractions.Dual);
    }

    [Fact]
    public void ClipFractionsCountOnlyUnmaskedTokens()
    {
        using var scope = NewDisposeScope();
        var mask = T.D([1, 1, 0, 1, 1, 1], 2, 3); // the A = +1, ρ = 1.5 token (upper clip) is padding
        var result = PolicyGradientLoss.ClippedSurrogate(
            T.D(Logp, 2, 3), T.D(T.OldFor(Logp, Ratios), 2, 3), T.D(Advantages, 2), mask, 0.2, 0.28, dualClip: 1.4);
        Assert.Equal(new ClipFractions(Low: 1.0 / 5, High: 0.0, Dual: 1.0 / 5), result.ClipFractions);
    }

    [Fact]
    public void PerTokenAdvantagesAreAccepted()
    {
        using var scope = NewDisposeScope();
        var perToken = T.D([1, 1, 1, -1, -1, -1], 2, 3);
        var result = PolicyGradientLoss.ClippedSurrogate(
            T.D(Logp, 2, 3), T.D(T.OldFor(Logp, Ratios), 2, 3), perToken, ones(2, 3, ScalarType.Float64), 0.2, 0.28);
        T.Close([-0.5, -1.0, -1.28, 0.8, 1.0, 1.5], result.PerTokenLoss);
    }

    [Fact]
    public void ZeroAdvantageGivesZeroLossAndNoClipCount()
    {
        using var scope = NewDisposeScope();
        var result = PolicyGradientLoss.ClippedSurrogate(
            T.D(Logp, 2, 3), T.D(T.OldFor(Logp, Ratios), 2, 3), zeros(2, ScalarType.Float64), ones(2, 3, ScalarType.Float64), 0.2, 0.2, 3.0);
        T.Close(new double[6], result.PerTokenLoss);
        Assert.Equal(new ClipFractions(0, 0, 0), result.ClipFractions);
    }

    [Theory]
    [InlineData(-0.1, 0.2, null, "clipLow")]
    [InlineData(1.0, 0.2, null, "clipLow")]
    [InlineData(0.2, -0.1, null, "clipHigh")]
    [InlineData(0.2, 0.2, 1.0, "dualClip")]
    public void InvalidClipSettingsAreRejected(double low, double high, double? dual, string parameter)
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => PolicyGradientLoss.ClippedSurrogate(
            T.D(Logp, 2, 3), T.D(Logp, 2, 3), T.D(Advantages, 2), ones(2, 3, ScalarType.Float64), low, high, dual));
        Assert.Equal(parameter, error.ParamName);
    }

    [Fact]
    public void AdvantagesOfTheWrongLengthAreRejected()
    {
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => PolicyGradientLoss.ClippedSurrogate(
            T.D(Logp, 2, 3), T.D(Logp, 2, 3), T.D([1, 2, 3], 3), ones(2, 3, ScalarType.Float64), 0.2, 0.2));
        Assert.Contains("one value per sequence [2]", error.Message);
    }
}
