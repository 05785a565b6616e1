using Dsdr.Core.Results;
using Dsdr.Grains.Running;
using Dsdr.Storage.Ingest;
using Dsdr.Storage.Repositories;

namespace Dsdr.Silo.Postgres;

/// <summary>
/// Step metrics into PostgreSQL's metrics table through the <see cref="MetricIngestor"/>: buffered, written
/// in batches by binary COPY, stored once per (trial, step, name) however often a step is replayed.
/// Evaluation figures (metrics named "eval/&lt;benchmark&gt;/&lt;metric&gt;[@k]", <see cref="EvalMetricName"/>) also go
/// to the evals table, where the result tables are built: written before <see cref="WriteAsync"/> returns, so they
/// are durable before any later checkpoint, and stored once per figure (the first value stays, as for metrics).
/// The per-problem outcomes behind the figures go to eval_problems in one bulk write, with the same retry and the same rule.
/// </summary>
public sealed class PostgresTrialMetricSink(MetricIngestor ingestor, EvalRepository evals, EvalProblemRepository problems) : ITrialMetricSink
{
    public async ValueTask WriteAsync(string trialId, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default)
    {
        foreach (var (name, value) in metrics)
            await ingestor.WriteAsync(new MetricSample(trialId, step, name, value), cancellationToken);
        var figures = EvalRowsOf(trialId, step, metrics);
        if (figures.Count > 0) await PostgresRetry.RunAsync(ct => evals.AddAsync(figures, ct), cancellationToken);
    }

    public async ValueTask WriteEvalProblemsAsync(string trialId, int step, IReadOnlyList<ProblemEvalOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        if (outcomes.Count > 0) await PostgresRetry.RunAsync(ct => problems.AddAsync(trialId, step, outcomes, ct), cancellationToken);
    }

    public Task FlushAsync(CancellationToken cancellationToken = default) => ingestor.FlushAsync(cancellationToken);

    /// <summary>The evaluation figures among one step's metrics, as rows of the evals table.</summary>
    public static IReadOnlyList<EvalRow> EvalRowsOf(string trialId, int step, IReadOnlyDictionary<string, double> metrics) =>
        [.. metrics.Where(m => double.IsFinite(m.Value))
            .Select(m => (Parsed: EvalMetricName.TryParse(m.Key, out var key), Key: key, m.Value))
            .Where(m => m.Parsed)
            .Select(m => new EvalRow(trialId, step, m.Key.Benchmark, m.Key.Metric, m.Key.K, m.Value))];
}
