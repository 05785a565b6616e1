namespace Dsdr.Storage.Repositories;

/// <summary>
/// What one summary covers: the steps [<see cref="Bucket"/>·width, (<see cref="Bucket"/> + 1)·width) of one series, its
/// <see cref="N"/> stored values' sum, minimum and maximum with where they are. At width 1 it is one stored point.
/// </summary>
public readonly record struct MetricBucket(int Bucket, int N, double Sum, double Min, int MinStep, double Max, int MaxStep)
{
    public double Mean => Sum / N;

    public static MetricBucket Point(int step, double value) => new(step, 1, value, value, step, value, step);
}

/// <summary>
/// One series as a chart reads it: every stored point of the window (<see cref="Width"/> 1, exact) or one
/// <see cref="MetricBucket"/> per <see cref="Width"/> steps; the buckets of every series of one read share their edges,
/// so seeds line up bucket by bucket. <see cref="TotalPoints"/> counts the stored points the buckets summarise.
/// </summary>
public sealed record MetricSummary(string TrialId, string Name, int Width, IReadOnlyList<MetricBucket> Buckets, long TotalPoints)
{
    public bool Exact => Width == 1;

    /// <summary>The first step a bucket covers.</summary>
    public int StartOf(MetricBucket bucket) => bucket.Bucket * Width;
}

/// <summary>
/// How a window of steps is read: from metrics itself (<see cref="Level"/> 1) or from the rollup level
/// <see cref="Level"/> (8, 64 or 512 steps, db/0005), into view buckets <see cref="Width"/> steps wide (a multiple of the level).
/// </summary>
public readonly record struct SummaryPlan(int Level, int Width)
{
    /// <summary>The bucket widths metric_rollups keeps (db/0005_metric_rollups.sql).</summary>
    public static IReadOnlyList<int> RollupLevels { get; } = [8, 64, 512];

    public static SummaryPlan Exact { get; } = new(1, 1);

    /// <summary>
    /// For a window of S = <paramref name="toStep"/> − <paramref name="fromStep"/> + 1 steps and at most
    /// <paramref name="maxBuckets"/> buckets: every point when S ≤ <paramref name="exactUpTo"/>; else the widest level L
    /// with S / L ≥ maxBuckets / 2 (so, below 2048·maxBuckets steps, reading costs fewer than 4·maxBuckets summaries per
    /// series) and the width
    /// w = L·⌈S / (L·maxBuckets)⌉, which gives between maxBuckets / 2 and maxBuckets buckets.
    /// </summary>
    public static SummaryPlan For(int fromStep, int toStep, int maxBuckets, int exactUpTo)
    {
        if (maxBuckets < 1) throw new ArgumentOutOfRangeException(nameof(maxBuckets), maxBuckets, "At least one bucket.");
        var span = (long)toStep - fromStep + 1;
        if (span <= Math.Max(exactUpTo, maxBuckets)) return Exact;
        var level = 1;
        foreach (var l in RollupLevels)
            if (span / (double)l >= maxBuckets / 2.0) level = l;
        var width = level * (int)Math.Ceiling(span / ((double)level * maxBuckets));
        return new SummaryPlan(level, width);
    }
}

/// <summary>Combining stored points or level summaries into view buckets (aligned at step 0: bucket b = ⌊step / width⌋).</summary>
public static class MetricBuckets
{
    // ⌊x / w⌋, also for negative x
    public static int BucketOf(int step, int width) => (int)Math.Floor(step / (double)width);

    /// <summary>Points (ordered by step) into buckets of <paramref name="width"/> steps, in step order.</summary>
    public static IReadOnlyList<MetricBucket> FromPoints(IEnumerable<MetricPoint> points, int width) =>
        Merge(points.Select(p => (BucketOf(p.Step, width), MetricBucket.Point(p.Step, p.Value))));

    /// <summary>Summaries of level <paramref name="level"/> (bucket = ⌊step / level⌋) into buckets of <paramref name="width"/> steps.</summary>
    public static IReadOnlyList<MetricBucket> FromLevel(IEnumerable<MetricBucket> summaries, int level, int width) =>
        Merge(summaries.Select(s => (BucketOf(s.Bucket * level, width), s)));

    /// <summary>
    /// n = Σn, sum = Σsum; the minimum with its step (the earliest on a tie), the maximum with its step (the latest on a
    /// tie), as db/0005 keeps them.
    /// </summary>
    private static IReadOnlyList<MetricBucket> Merge(IEnumerable<(int Bucket, MetricBucket Part)> parts)
    {
        var merged = new SortedDictionary<int, MetricBucket>();
        foreach (var (bucket, p) in parts)
        {
            if (!merged.TryGetValue(bucket, out var b))
            {
                merged[bucket] = p with { Bucket = bucket };
                continue;
            }
            var (min, minStep) = p.Min < b.Min || (p.Min == b.Min && p.MinStep < b.MinStep) ? (p.Min, p.MinStep) : (b.Min, b.MinStep);
            var (max, maxStep) = p.Max > b.Max || (p.Max == b.Max && p.MaxStep > b.MaxStep) ? (p.Max, p.MaxStep) : (b.Max, b.MaxStep);
            merged[bucket] = new MetricBucket(bucket, b.N + p.N, b.Sum + p.Sum, min, minStep, max, maxStep);
        }
        return [.. merged.Values];
    }

    /// <summary>
    /// A line through a summary's extremes: each bucket's minimum and maximum in step order (one point when they are the
    /// same step), so spikes survive downsampling; an exact summary gives its points.
    /// </summary>
    public static IReadOnlyList<MetricPoint> MinMaxPoints(MetricSummary summary)
    {
        var points = new List<MetricPoint>(summary.Buckets.Count * 2);
        foreach (var b in summary.Buckets)
        {
            if (b.MinStep == b.MaxStep) points.Add(new MetricPoint(b.MinStep, b.Min));
            else if (b.MinStep < b.MaxStep) points.AddRange([new MetricPoint(b.MinStep, b.Min), new MetricPoint(b.MaxStep, b.Max)]);
            else points.AddRange([new MetricPoint(b.MaxStep, b.Max), new MetricPoint(b.MinStep, b.Min)]);
        }
        return points;
    }
}
