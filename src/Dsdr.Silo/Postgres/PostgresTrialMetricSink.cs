using Dsdr.Grains.Running;
using Dsdr.Storage.Ingest;
using Dsdr.Storage.Repositories;

namespace Dsdr.Silo.Postgres;

/// <summary>
/// Step metrics into PostgreSQL's metrics table through the <see cref="MetricIngestor"/>: buffered, written
/// in batches by binary COPY, stored once per (trial, step, name) however often a step is replayed.
/// </summary>
public sealed class PostgresTrialMetricSink(MetricIngestor ingestor) : ITrialMetricSink
{
    public async ValueTask WriteAsync(string trialId, int step, IReadOnlyDictionary<string, double> metrics, CancellationToken cancellationToken = default)
    {
        foreach (var (name, value) in metrics)
            await ingestor.WriteAsync(new MetricSample(trialId, step, name, value), cancellationToken);
    }

    public Task FlushAsync(CancellationToken cancellationToken = default) => ingestor.FlushAsync(cancellationToken);
}
