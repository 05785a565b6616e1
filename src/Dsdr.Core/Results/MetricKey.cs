using System.Globalization;

namespace Dsdr.Core.Results;

/// <summary>
/// Names of the built-in evaluation metrics in <see cref="TrialEvalRecord.Metric"/>, and the registry of every metric
/// (<see cref="EvalMetric"/>): the evaluator writes them; result tables know from it how to label them, which are rates
/// (shown as %) and which are better when lower.
/// </summary>
public static class EvalMetrics
{
    /// <summary>Pass@1: one sample per problem at temperature 0.1 (K = null).</summary>
    public const string Pass1 = "pass1";
    /// <summary>Avg@k: mean correctness of k samples at temperature 0.7 (K = k).</summary>
    public const string AvgAtK = "avg";
    /// <summary>pass@k, unbiased estimate from n samples (K = k).</summary>
    public const string PassAtK = "pass";
    /// <summary>Distinct correct solutions per problem (K = null).</summary>
    public const string DistinctCorrect = "distinct";
    /// <summary>Share of a problem's existing solutions found (Countdown; K = null).</summary>
    public const string SolutionsFound = "solutionsFound";
    /// <summary>Mean pairwise semantic similarity of correct answers (lower = more diverse).</summary>
    public const string SemanticSimilarity = "semanticSimilarity";
    /// <summary>Mean pairwise formula similarity of correct answers (lower = more diverse).</summary>
    public const string FormulaSimilarity = "formulaSimilarity";
    /// <summary>Distinct correct solutions per problem among rollouts at the diversity temperature (eval.diversityTemperature, default 1.0).</summary>
    public const string DiversityDistinct = "diversityDistinct";
    /// <summary>Mean pairwise semantic similarity of correct answers at the diversity temperature (lower = more diverse).</summary>
    public const string DiversitySemanticSimilarity = "diversitySemanticSimilarity";
    /// <summary>Mean pairwise formula similarity of correct answers at the diversity temperature (lower = more diverse).</summary>
    public const string DiversityFormulaSimilarity = "diversityFormulaSimilarity";

    private static readonly Lazy<Method.Registry<EvalMetric>> registry =
        new(() => Method.Registry<EvalMetric>.Discover("evaluation metric", typeof(EvalMetrics).Assembly));
    private static readonly Lazy<IReadOnlySet<string>> rates = new(() => Registry.All.Where(m => m.IsRate).Select(m => m.Name).ToHashSet(StringComparer.Ordinal));
    private static readonly Lazy<IReadOnlySet<string>> lowerIsBetter = new(() => Registry.All.Where(m => m.LowerIsBetter).Select(m => m.Name).ToHashSet(StringComparer.Ordinal));
    private static readonly Lazy<IReadOnlyDictionary<string, bool>> all = new(() => Registry.All.ToDictionary(m => m.Name, m => m.TakesK, StringComparer.Ordinal));

    /// <summary>The registered metrics (<see cref="EvalMetric"/>), in table order.</summary>
    public static Method.Registry<EvalMetric> Registry => registry.Value;

    /// <summary>Metrics that are fractions in [0, 1] shown as percentages.</summary>
    public static IReadOnlySet<string> Rates => rates.Value;

    /// <summary>Metrics where a lower mean is the better one.</summary>
    public static IReadOnlySet<string> LowerIsBetter => lowerIsBetter.Value;

    /// <summary>Every name the evaluator writes, with whether it takes a k ("avg@16") or not ("distinct").</summary>
    public static IReadOnlyDictionary<string, bool> All => all.Value;
}

/// <summary>A metric with its k (for pass@k / Avg@k), e.g. ("avg", 16) written "avg@16".</summary>
public sealed record MetricKey(string Metric, int? K = null) : IComparable<MetricKey>
{
    /// <summary>"pass1", "avg@16", "pass@16", "distinct".</summary>
    public override string ToString() => K is { } k ? $"{Metric}@{k.ToString(CultureInfo.InvariantCulture)}" : Metric;

    /// <summary>Display label, its metric's: "Pass@1", "Avg@16", "pass@16", else the name.</summary>
    public string Label => (EvalMetrics.Registry.TryGet(Metric, out var metric) ? metric.Label(K) : null) ?? ToString();

    public bool IsRate => EvalMetrics.Rates.Contains(Metric);
    public bool LowerIsBetter => EvalMetrics.LowerIsBetter.Contains(Metric);

    /// <summary>Reads "avg@16", "pass1", "distinct"; a bad k throws naming the text.</summary>
    public static MetricKey Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var at = text.IndexOf('@');
        if (at < 0) return new(text.Trim());
        var name = text[..at].Trim();
        if (name.Length == 0 || !int.TryParse(text[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var k) || k < 1)
            throw new FormatException($"bad metric \"{text}\": write a name, or name@k with k a positive whole number (e.g. avg@16)");
        return new(name, k);
    }

    /// <summary>Standard table order: Pass@1, Avg@k by k, pass@k by k, then the rest by name and k.</summary>
    public int CompareTo(MetricKey? other)
    {
        if (other is null) return 1;
        var rank = Rank.CompareTo(other.Rank);
        if (rank != 0) return rank;
        var name = string.CompareOrdinal(Metric, other.Metric);
        return name != 0 ? name : (K ?? 0).CompareTo(other.K ?? 0);
    }

    private int Rank => EvalMetrics.Registry.TryGet(Metric, out var metric) ? metric.TableRank : 3;
}
