using Dsdr.Core.Formulas;
using Dsdr.Core.Metrics;

namespace Dsdr.Core.Tests.Metrics;

public class EvalMetricsTests
{
    [Fact]
    public void Avg_at_k_is_mean_correctness()
    {
        Assert.Equal(0.25, EvalMetrics.AvgAtK([true, false, false, false]));
        // over problems: mean of per-problem means (½ and 1), not of all rollouts pooled
        Assert.Equal(0.75, EvalMetrics.AvgAtK([(IReadOnlyList<bool>)[true, false], [true, true, true, true]]));
        Assert.Throws<ArgumentException>(() => EvalMetrics.AvgAtK(Array.Empty<bool>()));
    }

    [Fact]
    public void Pass_at_1_is_the_solved_fraction()
    {
        Assert.Equal(0.6, EvalMetrics.PassAt1([true, true, false, true, false]), 15);
        Assert.Throws<ArgumentException>(() => EvalMetrics.PassAt1([]));
    }

    [Fact]
    public void Semantic_similarity_is_the_mean_dot_over_pairs()
    {
        // dots: (1,2) = ½, (1,3) = ½, (2,3) = 0 → mean ⅓
        float[][] z = [[1f, 0f, 0f, 0f], [0.5f, 0.5f, 0.5f, 0.5f], [0.5f, -0.5f, 0.5f, -0.5f]];
        Assert.Equal(1.0 / 3, EvalMetrics.MeanPairwiseSemanticSimilarity(z), 15);
        Assert.Equal(1.0, EvalMetrics.MeanPairwiseSemanticSimilarity([[1f, 0f], [1f, 0f]]));
        Assert.Throws<ArgumentException>(() => EvalMetrics.MeanPairwiseSemanticSimilarity([[1f, 0f]]));
    }

    [Fact]
    public void Jaccard_of_sets()
    {
        Assert.Equal(1.0 / 3, EvalMetrics.Jaccard(new FormulaSet(["a", "b"]), new FormulaSet(["b", "c"])));
        Assert.Equal(1.0, EvalMetrics.Jaccard(new FormulaSet(["a"]), new FormulaSet(["a"])));
        Assert.Equal(0.0, EvalMetrics.Jaccard(FormulaSet.Empty, new FormulaSet(["a"])));
        Assert.Null(EvalMetrics.Jaccard(FormulaSet.Empty, FormulaSet.Empty));
    }

    [Fact]
    public void Formula_similarity_leaves_out_pairs_of_two_empty_sets()
    {
        // pairs: (A,B) = ⅓, (A,∅) = 0, (A,∅') = 0, (B,∅) = 0, (B,∅') = 0, (∅,∅') left out → mean = (⅓)/5
        IReadOnlySet<string>[] sets = [new FormulaSet(["a", "b"]), new FormulaSet(["b", "c"]), FormulaSet.Empty, FormulaSet.Empty];
        Assert.Equal(1.0 / 15, EvalMetrics.MeanPairwiseFormulaSimilarity(sets)!.Value, 15);
        Assert.Null(EvalMetrics.MeanPairwiseFormulaSimilarity([FormulaSet.Empty, FormulaSet.Empty, FormulaSet.Empty]));
        Assert.Equal(1.0, EvalMetrics.MeanPairwiseFormulaSimilarity([new FormulaSet(["x=1"]), new FormulaSet(["x=1"])]));
        Assert.Throws<ArgumentException>(() => EvalMetrics.MeanPairwiseFormulaSimilarity([FormulaSet.Empty]));
    }

    [Fact]
    public void Distinct_correct_solutions_count_non_null_keys_of_correct_responses()
    {
        bool[] correct = [true, true, true, false, true, true];
        string?[] keys = ["a+b", "b+a", "a+b", "c", null, "A+B"];
        Assert.Equal(3, EvalMetrics.DistinctCorrectSolutions(correct, keys)); // a+b, b+a, A+B (ordinal)
        Assert.Equal(0, EvalMetrics.DistinctCorrectSolutions([false, false], ["x", "y"]));
        Assert.Throws<ArgumentException>(() => EvalMetrics.DistinctCorrectSolutions([true], ["x", "y"]));
    }
}
