using Dsdr.Core.Results;
using Dsdr.Core.Statistics;

namespace Dsdr.Core.Tests.Statistics;

public class PassAtKDeltasTests
{
    private const int Problems = 40, N = 8;
    private static readonly string[] Ids = [.. Enumerable.Range(0, Problems).Select(i => $"q{i}")];

    private static ProblemEvalOutcome Outcome(int q, int correct) =>
        new("cd", Ids[q], correct > 0, N, correct, N, correct, Math.Min(correct, 1), null, null, null);

    private static PassAtKFigures Arm(Func<int, int> correctOn, int seeds = 2) => k =>
        Enumerable.Range(0, seeds).ToDictionary(s => s, s => OutcomeFigures.Of(0, Ids, [[.. Enumerable.Range(0, Problems).Select(q => Outcome(q, correctOn(q)))]],
            PassAtKDeltas.Key(k))!);

    [Fact]
    public void The_gap_of_a_diverse_arm_over_a_collapsed_one_opens_with_k()
    {
        // grpo: half the problems always right (c = 8), half never (c = 0): pass@k = 0.5 for every k.
        // dsdr: every problem right 4 times in 8: pass@1 = 0.5, pass@2 = 1 − C(4,2)/C(8,2) = 11/14, pass@k = 1 for k ≥ 5.
        var bootstrap = new ProblemSeedBootstrap([Problems]);
        var curve = PassAtKDeltas.Curve(bootstrap, "cd", N, "dsdr", Arm(_ => 4), "grpo", Arm(q => q % 2 == 0 ? 8 : 0));
        Assert.Equal(Enumerable.Range(1, N), curve.Points.Select(p => p.K));
        Assert.Equal(0, curve.Points[0].Delta.Mean, 12);
        Assert.False(curve.Points[0].Delta.Significant);
        Assert.Equal(11 / 14.0 - 0.5, curve.Points[1].Delta.Mean, 12);
        Assert.Equal(0.5, curve.Points[^1].Delta.Mean, 12);
        Assert.Equal(2, curve.SmallestSignificantK);
        Assert.Equal(0.5, curve.Widening!.Mean, 12);
        Assert.True(curve.Widening.Significant);
    }

    [Fact]
    public void Identical_arms_have_no_significant_k()
    {
        var bootstrap = new ProblemSeedBootstrap([Problems]);
        var curve = PassAtKDeltas.Curve(bootstrap, "cd", N, "dsdr", Arm(q => q % 9), "grpo", Arm(q => q % 9));
        Assert.All(curve.Points, p => Assert.Equal((0.0, 1.0), (p.Delta.Mean, p.Delta.P!.Value)));
        Assert.Null(curve.SmallestSignificantK);
        Assert.Equal(0, curve.Widening!.Mean);
    }

    [Fact]
    public void A_seeds_figure_averages_its_evaluations_per_problem_and_matches_problems_by_id()
    {
        var key = new MetricKey(EvalMetrics.AvgAtK, N);
        // two trials of one seed (the Backbone row): q0 2/8 and 6/8 → 0.5; q1 only in the second trial → 1
        var figure = OutcomeFigures.Of(0, ["q0", "q1"], [[Outcome(0, 2)], [Outcome(0, 6), Outcome(1, 8) with { ProblemId = "q1" }]], key)!;
        Assert.Equal((0.5 + 1) / 2, figure.Full, 12);
        Assert.Null(OutcomeFigures.Of(0, ["q0"], [[Outcome(0, 2)]], new MetricKey(EvalMetrics.SemanticSimilarity)));
        Assert.Throws<ArgumentException>(() => OutcomeFigures.Of(0, ["q0"], [[Outcome(1, 2)]], key));
    }
}
