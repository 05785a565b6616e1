using Dsdr.Core.Formulas;
using Dsdr.Core.Method;
using static Dsdr.Core.Method.DsdrMath;
using static Dsdr.Core.Tests.Method.WorkedGroup;

namespace Dsdr.Core.Tests.Method;

public class DsdrMathTests
{
    [Fact]
    public void Pairwise_distances_are_half_one_minus_cosine()
    {
        var e = PairwiseDistances(Embeddings);
        double[,] expected =
        {
            { 0, 0.25, 0.25, 0.5, 0.75 },
            { 0.25, 0, 0.5, 0.25, 0.25 },
            { 0.25, 0.5, 0, 0.75, 0.75 },
            { 0.5, 0.25, 0.75, 0, 0.25 },
            { 0.75, 0.25, 0.75, 0.25, 0 },
        };
        Assert.Equal(expected, e);
    }

    [Fact]
    public void Opposite_vectors_are_at_distance_one_and_equal_ones_at_zero()
    {
        var e = PairwiseDistances([[0.6f, 0.8f], [-0.6f, -0.8f], [0.6f, 0.8f]]);
        Assert.Equal(1.0, e[0, 1], 6);
        Assert.Equal(0.0, e[0, 2], 6);
    }

    [Fact]
    public void Semantic_scores_average_over_the_other_g_minus_one()
    {
        AssertClose(Semantic, SemanticScores(PairwiseDistances(Embeddings)));
        Assert.Equal([0.0], SemanticScores(new double[1, 1]));
    }

    [Fact]
    public void Correct_only_semantic_scores_are_zero_without_correct_neighbours()
    {
        var e = PairwiseDistances(Embeddings);
        // only rollout 2 is correct: it has no correct neighbour, all others have exactly rollout 2
        var s = SemanticScoresCorrectOnly(e, [0, 0, 1, 0, 0]);
        AssertClose([0.25, 0.5, 0, 0.75, 0.75], s);
        Assert.All(SemanticScoresCorrectOnly(e, [0, 0, 0, 0, 0]), x => Assert.Equal(0.0, x));
    }

    [Fact]
    public void Distance_matrix_must_be_square_and_rewards_match_it()
    {
        Assert.Throws<ArgumentException>(() => SemanticScores(new double[2, 3]));
        var ex = Assert.Throws<ArgumentException>(() => SemanticScoresCorrectOnly(new double[3, 3], [1, 0]));
        Assert.Contains("distances has 3 entries but rewards has 2", ex.Message);
    }

    [Fact]
    public void Dot_rejects_different_dimensions()
    {
        Assert.Throws<ArgumentException>(() => Dot(new float[3], new float[4]));
    }

    [Fact]
    public void Formula_uniqueness_counts_formulas_no_other_rollout_has()
    {
        AssertClose(Formula, FormulaUniqueness(FormulaSets()));
        // identical sets share everything; a lone set is fully unique; empty sets score 0
        AssertClose([0, 0, 1, 0], FormulaUniqueness([new FormulaSet(["x"]), new FormulaSet(["x"]), new FormulaSet(["y", "z"]), FormulaSet.Empty]));
        // a formula duplicated in its own set does not count as shared: sets have no duplicates
        AssertClose([0.5, 0], FormulaUniqueness([new FormulaSet(["p", "q"]), new FormulaSet(["q"])]));
        Assert.Empty(FormulaUniqueness([]));
    }

    [Fact]
    public void Formula_uniqueness_compares_ordinally()
    {
        AssertClose([1, 1], FormulaUniqueness([new FormulaSet(["X=1"]), new FormulaSet(["x=1"])]));
    }

    [Fact]
    public void Diversity_is_the_mean_of_the_two_scales()
    {
        AssertClose(WorkedGroup.Diversity, DsdrMath.Diversity(Semantic, Formula));
        Assert.Throws<ArgumentException>(() => DsdrMath.Diversity([0.1], [0.1, 0.2]));
    }

    [Fact]
    public void Clip_bounds_to_zero_and_sigma()
    {
        Assert.Equal([0, 0.2, 0.3, 0.3], Clip([-0.5, 0.2, 0.3, 0.9], 0.3));
    }

    [Fact]
    public void Shaping_adds_the_bonus_to_correct_rollouts_only()
    {
        Assert.Equal([1.05, 0, 0.5, 1.0], ShapedRewards([1, 0, 0.5, 1], [0.5, 0.9, 0.9, 0], 0.1));
    }

    [Fact]
    public void Advantages_use_sample_std_plus_epsilon()
    {
        // r = 1 0 0 0: mean ¼, sample std = sqrt((9/16 + 3/16)/3) = ½
        AssertClose([0.75 / 0.5, -0.25 / 0.5, -0.25 / 0.5, -0.25 / 0.5], GroupAdvantages([1, 0, 0, 0], 1e-300));
        AssertClose([0.75 / 0.6, -0.25 / 0.6, -0.25 / 0.6, -0.25 / 0.6], GroupAdvantages([1, 0, 0, 0], 0.1));
        AssertClose([0.75, -0.25, -0.25, -0.25], GroupAdvantages([1, 0, 0, 0], 1e-6, stdNormalize: false));
    }

    [Fact]
    public void Advantages_of_equal_rewards_and_of_a_single_rollout_are_zero()
    {
        Assert.Equal([0, 0, 0], GroupAdvantages([1, 1, 1], 1e-6));
        Assert.Equal([0.0], GroupAdvantages([1], 1e-6));
        Assert.Equal([0.0], GroupAdvantages([1], 1e-6, stdNormalize: false));
        Assert.Empty(GroupAdvantages([], 1e-6));
    }

    [Fact]
    public void Coupling_weights_are_a_softmax_over_correct_rollouts()
    {
        // d̄ = 0, ln 2 / τ, 0.9 (incorrect), with τ = 1: weights ∝ 1, 2, 0 → ⅓, ⅔, 0
        AssertClose([1.0 / 3, 2.0 / 3, 0], CouplingWeights([1, 1, 0], [0, Math.Log(2), 0.9], 1));
        AssertClose([0.25, 0.25, 0.25, 0.25, 0], CouplingWeights([1, 1, 1, 1, 0], [0.1, 0.2, 0.3, 0.4, 0.5], 0));
        Assert.Equal([0, 0, 0], CouplingWeights([0, 0, 0], [0.1, 0.2, 0.3], 5));
    }

    [Fact]
    public void Coupling_weights_are_stable_for_huge_tau()
    {
        var w = CouplingWeights([1, 1, 1], [1, 0.5, 1], 1e6);
        AssertClose([0.5, 0, 0.5], w);
        Assert.All(w, x => Assert.True(double.IsFinite(x)));
    }

    [Fact]
    public void Sample_std_and_mean()
    {
        Assert.Equal(2.5, Mean([1, 2, 3, 4]));
        Assert.Equal(Math.Sqrt(5.0 / 3), SampleStd([1, 2, 3, 4], 2.5), 15);
    }

    [Fact]
    public void Correct_means_exactly_one()
    {
        Assert.True(IsCorrect(1));
        Assert.False(IsCorrect(0.999));
        Assert.False(IsCorrect(0));
    }
}
