using Dsdr.Core.Results;

namespace Dsdr.Web.Api;

/// <summary>The query parameters of GET /api/sweeps/{id}/results: metric list and format.</summary>
public static class ResultQueryParser
{
    /// <summary>Metric names an evaluation writes, and whether each takes "@k".</summary>
    public static IReadOnlyDictionary<string, bool> KnownMetrics => EvalMetrics.All;

    /// <summary>"avg@16,pass@16,distinct" → metric keys; null/empty → null (all). A bad item gives the reason instead.</summary>
    public static (IReadOnlyList<MetricKey>? Metrics, string? Error) ParseMetrics(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return (null, null);
        var keys = new List<MetricKey>();
        foreach (var item in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (item.Length == 0) return (null, $"\"{text}\" has an empty item; separate metrics with single commas, e.g. avg@16,pass@16,distinct");
            MetricKey key;
            try
            {
                key = MetricKey.Parse(item);
            }
            catch (FormatException ex)
            {
                return (null, ex.Message);
            }
            if (!KnownMetrics.TryGetValue(key.Metric, out var takesK))
                return (null, $"unknown metric \"{key.Metric}\"; use {Known()}");
            if (takesK && key.K is null) return (null, $"metric \"{item}\" needs its k, e.g. {key.Metric}@16");
            if (!takesK && key.K is not null) return (null, $"metric \"{key.Metric}\" takes no k; write \"{key.Metric}\"");
            if (!keys.Contains(key)) keys.Add(key);
        }
        return (keys, null);
    }

    /// <summary>The renderer's format name and the response's content type; null for an unknown format.</summary>
    public static (string Format, string ContentType)? Format(string? text) => (text ?? "json").Trim().ToLowerInvariant() switch
    {
        "json" => ("json", "application/json; charset=utf-8"),
        "csv" => ("csv", "text/csv; charset=utf-8"),
        "markdown" or "md" => ("markdown", "text/markdown; charset=utf-8"),
        "latex" or "tex" => ("latex", "application/x-latex; charset=utf-8"),
        _ => null,
    };

    private static string Known() => string.Join(", ", KnownMetrics.Select(m => m.Value ? $"{m.Key}@k" : m.Key));
}
