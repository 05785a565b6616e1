using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Tests.Results;

/// <summary>The evaluation metrics are one registry: names, k, labels, rates and direction as the lists they replaced.</summary>
public class EvalMetricRegistryTests
{
    [Fact]
    public void The_built_in_metrics_come_first_in_table_order_with_their_k_rate_and_direction()
    {
        Assert.Equal(["pass1", "avg", "pass", "distinct", "solutionsFound", "semanticSimilarity", "formulaSimilarity",
            "diversityDistinct", "diversitySemanticSimilarity", "diversityFormulaSimilarity"], EvalMetrics.Registry.Names.Take(10));
        Assert.Equal(EvalMetrics.Registry.Names, EvalMetrics.All.Keys);
        Assert.Equal(["avg", "pass"], EvalMetrics.All.Where(m => m.Value).Select(m => m.Key).Take(2));
        Assert.Superset(new HashSet<string> { "pass1", "avg", "pass", "solutionsFound" }, new HashSet<string>(EvalMetrics.Rates));
        Assert.Superset(new HashSet<string> { "semanticSimilarity", "formulaSimilarity", "diversitySemanticSimilarity", "diversityFormulaSimilarity" },
            new HashSet<string>(EvalMetrics.LowerIsBetter));
        Assert.DoesNotContain("distinct", EvalMetrics.Rates);
        Assert.DoesNotContain("distinct", EvalMetrics.LowerIsBetter);
    }

    [Theory]
    [InlineData("pass1", null, "Pass@1")]
    [InlineData("avg", 16, "Avg@16")]
    [InlineData("pass", 4, "pass@4")]
    [InlineData("distinct", null, "distinct")]
    [InlineData("diversityDistinct", null, "distinct (Tdiv)")]
    [InlineData("diversityFormulaSimilarity", null, "formulaSimilarity (Tdiv)")]
    [InlineData("pass1", 3, "pass1@3")]
    [InlineData("unregistered", 2, "unregistered@2")]
    public void Labels_are_the_metric_s(string metric, int? k, string label) => Assert.Equal(label, new MetricKey(metric, k).Label);

    [Fact]
    public void Table_order_is_pass1_avg_pass_then_the_rest_by_name()
    {
        var keys = new[] { new MetricKey("distinct"), new MetricKey("pass", 4), new MetricKey("avg", 8), new MetricKey("formulaSimilarity"), new MetricKey("pass", 1), new MetricKey("pass1") };
        Assert.Equal(["pass1", "avg@8", "pass@1", "pass@4", "distinct", "formulaSimilarity"], keys.Order().Select(k => k.ToString()));
    }

    [Fact]
    public void A_benchmark_reports_each_metric_where_a_problem_defines_it()
    {
        // n = 6 pass@k samples: ks 1, 2, 4 and n; no solution count, one similarity, no diversity samples
        var outcome = new ProblemEvalOutcome("b", "q1", true, 4, 2, 6, 3, 2, null, 0.5, null);
        var keys = ProblemFigures.Keys([outcome]).Select(k => k.ToString());
        Assert.Equal(["pass1", "avg@4", "pass@1", "pass@2", "pass@4", "pass@6", "distinct", "semanticSimilarity"], keys);
        // Avg@4_q = 2/4
        Assert.Equal(0.5, ProblemFigures.Value(outcome, new MetricKey("avg", 4)));
        Assert.Null(ProblemFigures.Value(outcome, new MetricKey("avg", 8)));
        Assert.Null(ProblemFigures.Value(outcome, new MetricKey("unregistered")));
    }

    [Fact]
    public void A_spec_expects_each_metric_at_the_ks_it_evaluates()
    {
        var eval = new EvalSpec { AvgK = 4, PassKSamples = 6, DiversitySamples = 0 };
        var expected = EvalMetrics.Registry.All.SelectMany(m => m.EvaluatedKs(eval).Select(k => new MetricKey(m.Name, k).ToString()));
        Assert.Equal(["pass1", "avg@4", "pass@1", "pass@2", "pass@4", "pass@6", "distinct", "solutionsFound", "semanticSimilarity", "formulaSimilarity"], expected.Take(10));
        Assert.DoesNotContain(EvalMetrics.DiversityDistinct, expected);
        Assert.Contains(EvalMetrics.DiversityDistinct, EvalMetrics.Registry.All.SelectMany(m => m.EvaluatedKs(eval with { DiversitySamples = 4 }).Select(k => new MetricKey(m.Name, k).ToString())));
    }
}
