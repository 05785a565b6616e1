using System.Globalization;

namespace Dsdr.Grains.Running;

/// <summary>One evaluation figure's identity: benchmark, metric (Core's EvalMetrics names) and k (null for figures without k).</summary>
public readonly record struct EvalMetricKey(string Benchmark, string Metric, int? K);

/// <summary>
/// The metric name an evaluation figure travels under, "eval/&lt;benchmark&gt;/&lt;metric&gt;[@k]" (e.g. "eval/countdown/avg@16").
/// Runners report figures as step metrics under this name (the metrics table keeps them for curves over steps);
/// the platform's metric sink recognises them with <see cref="TryParse"/> and also stores them as evaluation rows.
/// Neither the benchmark nor the metric may contain '/' or '@', so the name parses back unambiguously.
/// </summary>
public static class EvalMetricName
{
    public const string Prefix = "eval/";

    /// <summary>"eval/&lt;benchmark&gt;/&lt;metric&gt;" or, with k, "eval/&lt;benchmark&gt;/&lt;metric&gt;@k".</summary>
    public static string Format(string benchmark, string metric, int? k)
    {
        if (!IsPart(benchmark))
            throw new ArgumentException($"Benchmark name '{benchmark}' cannot form an eval metric name: it must be non-empty, without '/' or '@'.", nameof(benchmark));
        if (!IsPart(metric))
            throw new ArgumentException($"Metric name '{metric}' cannot form an eval metric name: it must be non-empty, without '/' or '@'.", nameof(metric));
        if (k is < 1) throw new ArgumentOutOfRangeException(nameof(k), k, $"Eval metric '{benchmark}/{metric}': k must be at least 1, or null for a figure without k.");
        return k is { } n ? string.Create(CultureInfo.InvariantCulture, $"{Prefix}{benchmark}/{metric}@{n}") : $"{Prefix}{benchmark}/{metric}";
    }

    public static string Format(EvalMetricKey key) => Format(key.Benchmark, key.Metric, key.K);

    /// <summary>The figure a metric name stands for; false for any name not of the form <see cref="Format(string, string, int?)"/> writes.</summary>
    public static bool TryParse(string name, out EvalMetricKey key)
    {
        key = default;
        if (name is null || !name.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var rest = name.AsSpan(Prefix.Length);
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
        key = new EvalMetricKey(benchmark, metric, k);
        return true;
    }

    private static bool IsPart(string? part) =>
        !string.IsNullOrWhiteSpace(part) && part.IndexOfAny(['/', '@']) < 0 && part.Trim() == part;
}
