using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;
using Dsdr.Storage.Repositories;

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

    /// <summary>
    /// What a sweep's evaluations write, from its spec (before any evaluation is stored): its benchmarks times each
    /// registered metric at the ks the spec evaluates it (pass1, avg@avgK, pass@k for k = 1, 2, 4, … n and n itself, the
    /// diversity figures of the pass@k samples and, with diversitySamples &gt; 0, of the diversity samples).
    /// </summary>
    public static IReadOnlyList<EvalFigureKey> ExpectedFigures(SweepSpec spec)
    {
        IReadOnlyList<string> benchmarks = spec.Eval.Benchmarks.Count > 0 ? spec.Eval.Benchmarks : spec.Task.BenchmarkNames;
        var keys = EvalMetrics.Registry.All.SelectMany(m => m.EvaluatedKs(spec.Eval).Select(k => new MetricKey(m.Name, k))).ToList();
        return [.. benchmarks.SelectMany(b => keys.Select(k => new EvalFigureKey(b, k)))];
    }

    /// <summary>
    /// The parameter and reason when the query asks for what <paramref name="figures"/> (what the sweep evaluated, or will)
    /// does not hold: a metric or k in ?metric=, a benchmark or metric in ?step=best:B:M; null when it asks for nothing else.
    /// </summary>
    public static (string Parameter, string Reason)? Unevaluated(IReadOnlyList<MetricKey>? metrics, EvalStepChoice step, IReadOnlyList<EvalFigureKey> figures)
    {
        var keys = figures.Select(f => f.Figure).Distinct().Order().ToList();
        var benchmarks = figures.Select(f => f.Benchmark).Distinct().Order(StringComparer.Ordinal).ToList();
        string Listed(IEnumerable<MetricKey> list) => string.Join(", ", list);
        foreach (var key in metrics ?? [])
            if (!keys.Contains(key))
                return ("metric", $"\"{key}\" is not evaluated in this sweep" + (keys.Count == 0 ? "." : $"; it has {Listed(keys)}."));
        if (step is EvalStepChoice.BestStep best)
        {
            if (!benchmarks.Contains(best.Benchmark))
                return ("step", $"unknown benchmark \"{best.Benchmark}\" in step \"best:{best.Benchmark}:{new MetricKey(best.Metric, best.K)}\"; this sweep's benchmarks: {string.Join(", ", benchmarks)}.");
            var onBenchmark = figures.Where(f => f.Benchmark == best.Benchmark).Select(f => f.Figure).Distinct().Order().ToList();
            var wanted = new MetricKey(best.Metric, best.K);
            if (!onBenchmark.Contains(wanted))
                return ("step", $"\"{wanted}\" is not evaluated on {best.Benchmark} in this sweep; it has {Listed(onBenchmark)}.");
        }
        return null;
    }

    private static string Known() => string.Join(", ", KnownMetrics.Select(m => m.Value ? $"{m.Key}@k" : m.Key));
}
