using Dsdr.Core.Metrics;
using Dsdr.Core.Results;

namespace Dsdr.Core.Tests.Results;

public class ProblemFiguresTests
{
    // A: pass1 right, Avg@4 3/4, pass@k 3 of 4, 2 distinct of 4 existing, sem 0.7, formula 0.25; diversity 8 samples, 5 right, 3 distinct
    // B: pass1 wrong, 1/4, 1 of 4, 1 distinct, existence unknown, similarities undefined; diversity 8 samples, 0 right
    private static readonly ProblemEvalOutcome A = new("cd", "a", true, 4, 3, 4, 3, 2, 4, 0.7, 0.25, 8, 5, 3, 0.4, 0.1);
    private static readonly ProblemEvalOutcome B = new("cd", "b", false, 4, 1, 4, 1, 1, null, null, null, 8, 0, 0, null, null);

    [Fact]
    public void PerProblemValuesFollowTheirFormulas()
    {
        Assert.Equal(1.0, ProblemFigures.Value(A, new(EvalMetrics.Pass1)));
        Assert.Equal(0.75, ProblemFigures.Value(A, new(EvalMetrics.AvgAtK, 4)));
        Assert.Null(ProblemFigures.Value(A, new(EvalMetrics.AvgAtK, 8)));       // no Avg@8 samples
        Assert.Equal(0.5, ProblemFigures.Value(B, new(EvalMetrics.PassAtK, 2))!.Value, 12); // 1 − C(3,2)/C(4,2) = 1 − 3/6
        Assert.Null(ProblemFigures.Value(A, new(EvalMetrics.PassAtK, 5)));
        Assert.Equal(0.5, ProblemFigures.Value(A, new(EvalMetrics.SolutionsFound)));   // 2 / 4
        Assert.Null(ProblemFigures.Value(B, new(EvalMetrics.SolutionsFound)));
        Assert.Equal(3.0, ProblemFigures.Value(A, new(EvalMetrics.DiversityDistinct)));
        Assert.Null(ProblemFigures.Value(A with { DiversitySamples = 0, DiversityCorrect = 0, DiversityDistinct = 0 }, new(EvalMetrics.DiversityDistinct)));
        Assert.Null(ProblemFigures.Value(A, new("unknown")));
    }

    [Fact]
    public void FiguresAreMeansOverTheProblemsThatDefineThem()
    {
        var figures = ProblemFigures.Figures([A, B]).ToDictionary(f => f.Key.ToString(), f => f.Value);
        Assert.Equal(["pass1", "avg@4", "pass@1", "pass@2", "pass@4", "distinct", "solutionsFound", "semanticSimilarity", "formulaSimilarity",
            "diversityDistinct", "diversitySemanticSimilarity", "diversityFormulaSimilarity"], figures.Keys);
        Assert.Equal(0.5, figures["pass1"]);
        Assert.Equal(0.5, figures["avg@4"]);                                   // (3/4 + 1/4) / 2
        Assert.Equal(PassAtK.MeanOverProblems([new(4, 3), new(4, 1)], 2), figures["pass@2"], 12);
        Assert.Equal(0.5, figures["solutionsFound"]);                          // only A knows its solutions
        Assert.Equal(0.7, figures["semanticSimilarity"]);                      // only A has two correct answers
        Assert.Equal(1.5, figures["diversityDistinct"]);                       // (3 + 0) / 2
    }

    [Fact]
    public void InconsistentOrUnevenProblemsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => ProblemFigures.Figures([]));
        Assert.Contains("same number of answers", Assert.Throws<ArgumentException>(() => ProblemFigures.Figures([A, B with { AvgSamples = 8 }])).Message);
        Assert.Contains("appears 2 times", Assert.Throws<ArgumentException>(() => ProblemFigures.Figures([A, A])).Message);
        Assert.Contains("Avg@k counts", Assert.Throws<ArgumentException>(() => ProblemFigures.Figures([A with { AvgCorrect = 5 }])).Message);
        Assert.Contains("one benchmark", Assert.Throws<ArgumentException>(() => ProblemFigures.Figures([A, B with { Benchmark = "x" }])).Message);
        Assert.Contains("distinct correct", (A with { DistinctCorrect = 4 }).Problem());
    }
}
