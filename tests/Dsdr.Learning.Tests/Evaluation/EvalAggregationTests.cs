using Dsdr.Core.Metrics;
using Dsdr.Core.Results;
using Dsdr.Learning.Evaluation;

namespace Dsdr.Learning.Tests.Evaluation;

public class EvalAggregationTests
{
    private static ScoredAnswer Right(string key, string formula, float[]? embedding = null) =>
        new(true, key, new HashSet<string> { formula }, embedding);

    private static ScoredAnswer Wrong() => new(false, null, new HashSet<string>());

    // Problem A: pass1 right; 4 answers, 3 right, keys x, y, x; formulas a, b, a; embeddings e1, e2, e1.
    // Problem B: pass1 wrong; 4 answers, 1 right (key z).
    private static readonly float[] E1 = [1f, 0f], E2 = [0.6f, 0.8f];

    private static IReadOnlyList<ProblemAnswers> TwoProblems(int? existingA = 4, int? existingB = 2, bool embed = true)
    {
        IReadOnlyList<ScoredAnswer> a = [Right("x", "a", embed ? E1 : null), Wrong(), Right("y", "b", embed ? E2 : null), Right("x", "a", embed ? E1 : null)];
        IReadOnlyList<ScoredAnswer> b = [Wrong(), Wrong(), Right("z", "c", embed ? E1 : null), Wrong()];
        return [new ProblemAnswers("A", true, a, a, existingA), new ProblemAnswers("B", false, b, b, existingB)];
    }

    private static double Value(IReadOnlyList<EvalFigure> figures, string metric, int? k = null) =>
        Assert.Single(figures, f => f.Metric == metric && f.K == k).Value;

    [Fact]
    public void FiguresMatchHandComputedValues()
    {
        var figures = EvalAggregation.Figures("countdown", TwoProblems());
        Assert.All(figures, f => Assert.Equal("countdown", f.Benchmark));
        Assert.Equal(0.5, Value(figures, EvalMetrics.Pass1), 12);                 // (1 + 0) / 2
        Assert.Equal((0.75 + 0.25) / 2, Value(figures, EvalMetrics.AvgAtK, 4), 12);
        // pass@2: A: 1 − C(1,2)/C(4,2) = 1; B: 1 − C(3,2)/C(4,2) = 1 − 3/6 = 0.5
        Assert.Equal(0.75, Value(figures, EvalMetrics.PassAtK, 2), 12);
        Assert.Equal(1.0, Value(figures, EvalMetrics.PassAtK, 4), 12);
        Assert.Equal((2 + 1) / 2.0, Value(figures, EvalMetrics.DistinctCorrect), 12);  // {x, y}, {z}
        Assert.Equal((2 / 4.0 + 1 / 2.0) / 2, Value(figures, EvalMetrics.SolutionsFound), 12);
        // A's correct pairs: (e1,e2) 0.6, (e1,e1) 1, (e2,e1) 0.6 → 2.2/3; B has one correct answer: left out
        Assert.Equal(2.2 / 3, Value(figures, EvalMetrics.SemanticSimilarity), 6);
        // A's pairs: J({a},{b}) = 0, J({a},{a}) = 1, J({b},{a}) = 0 → 1/3
        Assert.Equal(1 / 3.0, Value(figures, EvalMetrics.FormulaSimilarity), 12);
    }

    [Fact]
    public void OutcomesHoldEachProblemsCountsAndTheFiguresAreTheirMeans()
    {
        var outcomes = EvalAggregation.Outcomes("countdown", TwoProblems());
        Assert.Equal(2.2 / 3, outcomes[0].SemanticSimilarity!.Value, 6);  // float embeddings
        Assert.Equal(new ProblemEvalOutcome("countdown", "A", true, 4, 3, 4, 3, 2, 4, outcomes[0].SemanticSimilarity, 1 / 3.0), outcomes[0]);
        Assert.Equal(new ProblemEvalOutcome("countdown", "B", false, 4, 1, 4, 1, 1, 2, null, null), outcomes[1]);
        var figures = EvalAggregation.Figures("countdown", TwoProblems());
        foreach (var f in figures)
        {
            var key = new MetricKey(f.Metric, f.K);
            var perProblem = outcomes.Select(o => ProblemFigures.Value(o, key)).OfType<double>().ToList();
            Assert.Equal(perProblem.Average(), f.Value, 12);
        }
    }

    [Fact]
    public void DiversityAnswersGiveTheDiversityTemperatureFigures()
    {
        IReadOnlyList<ScoredAnswer> answers = [Right("x", "a", E1), Wrong()];
        IReadOnlyList<ScoredAnswer> hot = [Right("x", "a", E1), Right("y", "b", E2), Right("z", "b", E2), Wrong()];
        var outcome = Assert.Single(EvalAggregation.Outcomes("b", [new ProblemAnswers("q", true, answers, answers, 3, hot)]));
        Assert.Equal((4, 3, 3), (outcome.DiversitySamples, outcome.DiversityCorrect, outcome.DiversityDistinct));
        Assert.Equal((0.6 + 0.6 + 1.0) / 3, outcome.DiversitySemanticSimilarity!.Value, 6);   // (e1,e2), (e1,e2), (e2,e2)
        Assert.Equal(1 / 3.0, outcome.DiversityFormulaSimilarity!.Value, 12);                 // J(a,b)=0, J(a,b)=0, J(b,b)=1
        Assert.Null(outcome.SemanticSimilarity); // one correct answer at the evaluation temperature
        var figures = EvalAggregation.Figures("b", [new ProblemAnswers("q", true, answers, answers, 3, hot)]);
        Assert.Equal(3, Value(figures, EvalMetrics.DiversityDistinct));
        Assert.DoesNotContain(EvalAggregation.Figures("b", TwoProblems()), f => f.Metric.StartsWith("diversity", StringComparison.Ordinal));
    }

    [Fact]
    public void PassAtKCurveIsCoresEstimatorOverProblems()
    {
        var figures = EvalAggregation.Figures("b", TwoProblems());
        var expected = PassAtK.CurveOverProblems([new ProblemOutcome(4, 3), new ProblemOutcome(4, 1)]);
        var curve = figures.Where(f => f.Metric == EvalMetrics.PassAtK).ToList();
        Assert.Equal(expected.Select(p => p.K), curve.Select(f => f.K!.Value));
        Assert.Equal([1, 2, 4], curve.Select(f => f.K!.Value));
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i].Value, curve[i].Value, 12);
        // with n = k, pass@1 is the mean correctness: Avg@k
        Assert.Equal(Value(figures, EvalMetrics.AvgAtK, 4), Value(figures, EvalMetrics.PassAtK, 1), 12);
    }

    [Fact]
    public void FiguresWithoutTheirInputsAreLeftOut()
    {
        var figures = EvalAggregation.Figures("b", TwoProblems(existingA: null, existingB: null, embed: false));
        Assert.DoesNotContain(figures, f => f.Metric == EvalMetrics.SolutionsFound);
        Assert.DoesNotContain(figures, f => f.Metric == EvalMetrics.SemanticSimilarity);
        Assert.Contains(figures, f => f.Metric == EvalMetrics.FormulaSimilarity);

        // nobody right: no similarity is defined, distinct is 0
        IReadOnlyList<ScoredAnswer> wrong = [Wrong(), Wrong()];
        var none = EvalAggregation.Figures("b", [new ProblemAnswers("q", false, wrong, wrong, 3)]);
        Assert.DoesNotContain(none, f => f.Metric is EvalMetrics.SemanticSimilarity or EvalMetrics.FormulaSimilarity);
        Assert.Equal(0, Value(none, EvalMetrics.DistinctCorrect));
        Assert.Equal(0, Value(none, EvalMetrics.SolutionsFound));
    }

    [Fact]
    public void SeparatePassKAnswersDriveTheCurveAndDiversity()
    {
        IReadOnlyList<ScoredAnswer> avg = [Wrong(), Wrong()];
        IReadOnlyList<ScoredAnswer> passK = [Right("x", "a"), Right("y", "b"), Wrong(), Wrong()];
        var figures = EvalAggregation.Figures("b", [new ProblemAnswers("q", false, avg, passK, null)]);
        Assert.Equal(0, Value(figures, EvalMetrics.AvgAtK, 2));
        Assert.Equal(0.5, Value(figures, EvalMetrics.PassAtK, 1), 12);
        Assert.Equal(2, Value(figures, EvalMetrics.DistinctCorrect));
        Assert.Equal(0, Value(figures, EvalMetrics.FormulaSimilarity));
    }

    [Fact]
    public void UnevenOrEmptyInputIsRejected()
    {
        Assert.Throws<ArgumentException>(() => EvalAggregation.Figures("b", []));
        IReadOnlyList<ScoredAnswer> two = [Wrong(), Wrong()], three = [Wrong(), Wrong(), Wrong()];
        var e = Assert.Throws<ArgumentException>(() => EvalAggregation.Figures("b", [new ProblemAnswers("a", false, two, two, null), new ProblemAnswers("b", false, three, three, null)]));
        Assert.Contains("same number of answers", e.Message);
    }
}
