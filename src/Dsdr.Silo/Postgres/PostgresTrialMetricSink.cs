using Dsdr.Core.Results;
using Dsdr.Grains.Running;
using Dsdr.Storage.Ingest;
using Dsdr.Storage.Repositories;

namespace Dsdr.Silo.Postgres;

/// <summary>
/// Step metrics into PostgreSQL's metrics table through the <see cref="MetricIngestor"/>: buffered, written
/// in batches by binary COPY, stored once per (trial, step, name) however often a step is replayed.
/// Evaluation figures go to the evals table, where the result tables are built, and to the metrics table under
/// <see cref="EvalFigureKey.MetricName"/> (their curves): written to evals before <see cref="WriteEvalFiguresAsync"/>
/// returns, so they are durable before any later checkpoint, and stored once per figure (the first value stays, as for metrics).
/// The per-problem outcomes behind the figures go to eval_problems in one bulk write, with the same retry and the same rule.
/// </summary>
public sealed class PostgresTrialMetricSink(MetricIngestor ingestor, EvalRepository evals, EvalProblemRepository problems) : ITrialMetricSink
{
    public async ValueTask WriteAsync(string trialId, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default)
    {
        foreach (var (name, value) in metrics)
        {
            TrialMetricValidation.CheckNotFigure(trialId, step, name);
            await ingestor.WriteAsync(new MetricSample(trialId, step, name, value), cancellationToken);
        }
    }

    public async ValueTask WriteEvalFiguresAsync(string trialId, int step, IReadOnlyList<EvalFigureValue> figures, CancellationToken cancellationToken = default)
    {
        foreach (var f in figures)
            await ingestor.WriteAsync(new MetricSample(trialId, step, f.Key.MetricName, f.Value), cancellationToken);
        var rows = EvalRowsOf(trialId, step, figures);
        if (rows.Count > 0) await PostgresRetry.RunAsync(ct => evals.AddAsync(rows, ct), cancellationToken);
    }

    public async ValueTask WriteEvalProblemsAsync(string trialId, int step, IReadOnlyList<ProblemEvalOutcome> outcomes, CancellationToken cancellationToken = default)
    {
        if (outcomes.Count > 0) await PostgresRetry.RunAsync(ct => problems.AddAsync(trialId, step, outcomes, ct), cancellationToken);
    }

    public Task FlushAsync(CancellationToken cancellationToken = default) => ingestor.FlushAsync(cancellationToken);

    /// <summary>One evaluation's figures as rows of the evals table (a non-finite value is left out).</summary>
    public static IReadOnlyList<EvalRow> EvalRowsOf(string trialId, int step, IReadOnlyList<EvalFigureValue> figures) =>
        [.. figures.Where(f => double.IsFinite(f.Value))
            .Select(f => new EvalRow(trialId, step, f.Key.Benchmark, f.Key.Metric, f.Key.K, f.Value))];
}
