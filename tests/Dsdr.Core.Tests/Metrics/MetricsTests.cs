using Dsdr.Core.Formulas;
using Dsdr.Core.Metrics;

namespace Dsdr.Core.Tests.Metrics;

public class MetricsTests
{
    [Fact]
    public void Avg_at_k_is_mean_correctness()
    {
        Assert.Equal(0.25, AccuracyMetrics.AvgAtK([true, false, false, false]));
        // over problems: mean of per-problem means (½ and 1), not of all rollouts pooled
        Assert.Equal(0.75, AccuracyMetrics.AvgAtK([(IReadOnlyList<bool>)[true, false], [true, true, true, true]]));
        Assert.Throws<ArgumentException>(() => AccuracyMetrics.AvgAtK(Array.Empty<bool>()));
    }

    [Fact]
    public void Pass_at_1_is_the_solved_fraction()
    {
        Assert.Equal(0.6, AccuracyMetrics.PassAt1([true, true, false, true, false]), 15);
        Assert.Throws<ArgumentException>(() => AccuracyMetrics.PassAt1([]));
    }

    [Fact]
    public void Semantic_similarity_is_the_mean_dot_over_pairs()
    {
        // dots: (1,2) = ½, (1,3) = ½, (2,3) = 0 → mean ⅓
        float[][] z = [[1f, 0f, 0f, 0f], [0.5f, 0.5f, 0.5f, 0.5f], [0.5f, -0.5f, 0.5f, -0.5f]];
        Assert.Equal(1.0 / 3, DiversityMetrics.MeanPairwiseSemanticSimilarity(z), 15);
        Assert.Equal(1.0, DiversityMetrics.MeanPairwiseSemanticSimilarity([[1f, 0f], [1f, 0f]]));
        Assert.Throws<ArgumentException>(() => DiversityMetrics.MeanPairwiseSemanticSimilarity([[1f, 0f]]));
    }

    [Fact]
    public void Jaccard_of_sets()
    {
        Assert.Equal(1.0 / 3, DiversityMetrics.Jaccard(new FormulaSet(["a", "b"]), new FormulaSet(["b", "c"])));
        Assert.Equal(1.0, DiversityMetrics.Jaccard(new FormulaSet(["a"]), new FormulaSet(["a"])));
        Assert.Equal(0.0, DiversityMetrics.Jaccard(FormulaSet.Empty, new FormulaSet(["a"])));
        Assert.Null(DiversityMetrics.Jaccard(FormulaSet.Empty, FormulaSet.Empty));
    }

    [Fact]
    public void Formula_similarity_leaves_out_pairs_of_two_empty_sets()
    {
        // pairs: (A,B) = ⅓, (A,∅) = 0, (A,∅') = 0, (B,∅) = 0, (B,∅') = 0, (∅,∅') left out → mean = (⅓)/5
        IReadOnlySet<string>[] sets = [new FormulaSet(["a", "b"]), new FormulaSet(["b", "c"]), FormulaSet.Empty, FormulaSet.Empty];
        Assert.Equal(1.0 / 15, DiversityMetrics.MeanPairwiseFormulaSimilarity(sets)!.Value, 15);
        Assert.Null(DiversityMetrics.MeanPairwiseFormulaSimilarity([FormulaSet.Empty, FormulaSet.Empty, FormulaSet.Empty]));
        Assert.Equal(1.0, DiversityMetrics.MeanPairwiseFormulaSimilarity([new FormulaSet(["x=1"]), new FormulaSet(["x=1"])]));
        Assert.Throws<ArgumentException>(() => DiversityMetrics.MeanPairwiseFormulaSimilarity([FormulaSet.Empty]));
    }

    [Fact]
    public void Distinct_correct_solutions_count_non_null_keys_of_correct_responses()
    {
        bool[] correct = [true, true, true, false, true, true];
        string?[] keys = ["a+b", "b+a", "a+b", "c", null, "A+B"];
        Assert.Equal(3, DiversityMetrics.DistinctCorrectSolutions(correct, keys)); // a+b, b+a, A+B (ordinal)
        Assert.Equal(0, DiversityMetrics.DistinctCorrectSolutions([false, false], ["x", "y"]));
        Assert.Throws<ArgumentException>(() => DiversityMetrics.DistinctCorrectSolutions([true], ["x", "y"]));
    }
}
