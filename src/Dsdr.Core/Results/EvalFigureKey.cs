using System.Globalization;

namespace Dsdr.Core.Results;

/// <summary>
/// One evaluation figure's identity: the benchmark, the metric (an <see cref="EvalMetrics"/> name) and k (null for
/// figures without k). Runners report figures with it, the evals table stores its three parts as columns, result
/// queries list and check it. Its one text form, <see cref="MetricName"/> ("eval/&lt;benchmark&gt;/&lt;metric&gt;[@k]",
/// e.g. "eval/countdown/avg@16"), is the name the figure's curve has in the metrics table and on the charts.
/// Neither the benchmark nor the metric may contain '/' or '@', so the name reads back unambiguously.
/// </summary>
public sealed record EvalFigureKey
{
    public const string MetricNamePrefix = "eval/";

    public EvalFigureKey(string benchmark, string metric, int? k)
    {
        if (!IsPart(benchmark))
            throw new ArgumentException($"Benchmark name '{benchmark}' cannot name an evaluation figure: it must be non-empty, without '/' or '@'.", nameof(benchmark));
        if (!IsPart(metric))
            throw new ArgumentException($"Metric name '{metric}' cannot name an evaluation figure: it must be non-empty, without '/' or '@'.", nameof(metric));
        if (k is < 1) throw new ArgumentOutOfRangeException(nameof(k), k, $"Evaluation figure '{benchmark}/{metric}': k must be at least 1, or null for a figure without k.");
        (Benchmark, Metric, K) = (benchmark, metric, k);
    }

    public EvalFigureKey(string benchmark, MetricKey figure) : this(benchmark, figure.Metric, figure.K) { }

    public string Benchmark { get; }
    public string Metric { get; }
    public int? K { get; }

    /// <summary>The metric and k without the benchmark ("avg@16").</summary>
    public MetricKey Figure => new(Metric, K);

    /// <summary>"eval/&lt;benchmark&gt;/&lt;metric&gt;" or, with k, "eval/&lt;benchmark&gt;/&lt;metric&gt;@k".</summary>
    public string MetricName => $"{MetricNamePrefix}{Benchmark}/{Figure}";

    public override string ToString() => MetricName;

    /// <summary>The figure a metrics-table name stands for; false for any name not of the form <see cref="MetricName"/> writes.</summary>
    public static bool TryParseMetricName(string? name, out EvalFigureKey key)
    {
        key = null!;
        if (name is null || !name.StartsWith(MetricNamePrefix, StringComparison.Ordinal)) return false;
        var rest = name.AsSpan(MetricNamePrefix.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0) return false;
        var benchmark = rest[..slash].ToString();
        var figure = rest[(slash + 1)..];
        int? k = null;
        var at = figure.IndexOf('@');
        if (at >= 0)
        {
            if (!int.TryParse(figure[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1) return false;
            k = n;
            figure = figure[..at];
        }
        var metric = figure.ToString();
        if (!IsPart(benchmark) || !IsPart(metric)) return false;
        key = new EvalFigureKey(benchmark, metric, k);
        return true;
    }

    private static bool IsPart(string? part) =>
        !string.IsNullOrWhiteSpace(part) && part.IndexOfAny(['/', '@']) < 0 && part.Trim() == part;
}

/// <summary>One evaluation figure's value at a step, as a runner reports it.</summary>
public sealed record EvalFigureValue(EvalFigureKey Key, double Value);
