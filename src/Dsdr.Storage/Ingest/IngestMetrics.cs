using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Dsdr.Storage.Ingest;

/// <summary>The metric ingest's instruments on the meter "Dsdr" (the same meter name the grains use).</summary>
public static class IngestMetrics
{
    public const string MeterName = "Dsdr";

    /// <summary>Histogram (seconds): from a sample's report (accepted into the buffer) to the commit of its COPY batch.</summary>
    public const string Lag = "dsdr.ingest.lag";

    /// <summary>Observable gauge: samples accepted but not yet stored, over the process's ingestors.</summary>
    public const string Buffered = "dsdr.ingest.buffered";

    /// <summary>Counter: samples stored (batches committed).</summary>
    public const string Stored = "dsdr.ingest.stored";

    /// <summary>Counter: batch writes that failed and were retried.</summary>
    public const string Retries = "dsdr.ingest.retries";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> LagHistogram = Meter.CreateHistogram<double>(Lag, "s",
        "Seconds from a metric sample's report to the commit of its COPY batch",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] });

    private static readonly Counter<long> StoredCounter = Meter.CreateCounter<long>(Stored, "{sample}", "Metric samples stored");

    private static readonly Counter<long> RetriesCounter = Meter.CreateCounter<long>(Retries, "{batch}", "Metric batch writes that failed and were retried");

    private static readonly ConcurrentDictionary<MetricIngestor, byte> Ingestors = new();

    static IngestMetrics()
    {
        Meter.CreateObservableGauge(Buffered, () => Ingestors.Keys.Sum(i => i.Accepted - i.Stored), "{sample}",
            "Metric samples accepted but not yet stored");
    }

    internal static void Track(MetricIngestor ingestor) => Ingestors[ingestor] = 0;

    internal static void Untrack(MetricIngestor ingestor) => Ingestors.TryRemove(ingestor, out _);

    internal static void BatchStored(ReadOnlySpan<long> acceptedTimestamps, long committedTimestamp)
    {
        foreach (var accepted in acceptedTimestamps)
            LagHistogram.Record(System.Diagnostics.Stopwatch.GetElapsedTime(accepted, committedTimestamp).TotalSeconds);
        StoredCounter.Add(acceptedTimestamps.Length);
    }

    internal static void Retried() => RetriesCounter.Add(1);
}
