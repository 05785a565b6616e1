using Dapper;
using Dsdr.Storage.Repositories;

namespace Dsdr.Storage.Tests;

/// <summary>The plan and the bucket arithmetic of downsampled curves, by hand.</summary>
public sealed class SummaryPlanTests
{
    [Fact]
    public void A_window_that_fits_its_budget_is_exact()
    {
        Assert.Equal(SummaryPlan.Exact, SummaryPlan.For(1, 300, 150, 300));
        Assert.Equal(SummaryPlan.Exact, SummaryPlan.For(-10, 10, 300, 0));
    }

    [Theory]
    // 10,000 steps, 300 buckets: 10,000 / 64 = 156 ≥ 150, 10,000 / 512 = 19.5 < 150 → level 64; width 64·⌈10,000 / 19,200⌉ = 64 (157 buckets)
    [InlineData(1, 10_000, 300, 300, 64, 64)]
    // 10,000 steps, 75 buckets: still level 64 (156 ≥ 37.5); width 64·⌈10,000 / 4,800⌉ = 192 (53 buckets)
    [InlineData(1, 10_000, 75, 150, 64, 192)]
    // 1,000 steps, 300 buckets: 1,000 / 8 = 125 < 150 → the rows themselves; width ⌈1,000 / 300⌉ = 4 (250 buckets)
    [InlineData(4000, 4999, 300, 300, 1, 4)]
    // 100,000 steps: 100,000 / 512 = 195 ≥ 150 → level 512; width 512·⌈100,000 / 153,600⌉ = 512 (196 buckets)
    [InlineData(0, 99_999, 300, 300, 512, 512)]
    // 1,000,000 steps: level 512, width 512·⌈1,000,000 / 153,600⌉ = 3,584 (280 buckets)
    [InlineData(1, 1_000_000, 300, 300, 512, 3584)]
    public void A_long_window_reads_the_widest_level_that_still_fills_half_its_budget(int from, int to, int maxBuckets, int exactUpTo, int level, int width)
    {
        var plan = SummaryPlan.For(from, to, maxBuckets, exactUpTo);
        Assert.Equal(new SummaryPlan(level, width), plan);
        var buckets = (int)Math.Ceiling((to - from + 1) / (double)plan.Width);
        Assert.InRange(buckets, maxBuckets / 2, maxBuckets);
    }

    [Fact]
    public void Points_merge_into_buckets_aligned_at_step_zero_with_the_extremes_and_where_they_are()
    {
        MetricPoint[] points = [new(0, 1), new(1, 5), new(2, 5), new(3, -1), new(4, 2), new(7, 2), new(8, 0)];
        var buckets = MetricBuckets.FromPoints(points, 4);
        Assert.Equal(
        [
            new MetricBucket(0, 4, 10, -1, 3, 5, 2), // steps 0–3: min −1 at 3; max 5 at 1 and 2 → the later, 2
            new MetricBucket(1, 2, 4, 2, 4, 2, 7),   // steps 4–7: min 2 at 4 and 7 → the earlier; max → the later
            new MetricBucket(2, 1, 0, 0, 8, 0, 8),
        ], buckets);
        Assert.Equal(2.5, buckets[0].Mean);
        Assert.Equal(-1, MetricBuckets.BucketOf(-1, 4));
        Assert.Equal(-1, MetricBuckets.BucketOf(-4, 4));
        Assert.Equal(-2, MetricBuckets.BucketOf(-5, 4));
    }

    [Fact]
    public void Level_summaries_merge_into_wider_buckets_as_the_points_would()
    {
        var points = Enumerable.Range(0, 200).Select(s => new MetricPoint(s, Math.Sin(s / 7.0) + (s == 77 ? 3 : 0))).ToList();
        var level8 = MetricBuckets.FromPoints(points, 8);
        Assert.Equal(MetricBuckets.FromPoints(points, 24), MetricBuckets.FromLevel(level8, 8, 24), SumTolerant.Instance);
        var summary = new MetricSummary("t", "m", 24, MetricBuckets.FromLevel(level8, 8, 24), 200);
        var line = MetricBuckets.MinMaxPoints(summary);
        Assert.Contains(new MetricPoint(77, points[77].Value), line); // the spike
        Assert.True(line.Zip(line.Skip(1)).All(p => p.First.Step < p.Second.Step), "in step order");
        Assert.Equal(72, summary.StartOf(summary.Buckets[3]));
    }

}

/// <summary>Buckets equal but for the last bits of their sums, which depend on the order the values were added in.</summary>
internal sealed class SumTolerant : IEqualityComparer<MetricBucket>
{
    public static readonly SumTolerant Instance = new();

    public bool Equals(MetricBucket a, MetricBucket b) => a with { Sum = 0 } == b with { Sum = 0 } && Math.Abs(a.Sum - b.Sum) < 1e-9;

    public int GetHashCode(MetricBucket b) => b.Bucket;
}

/// <summary>Compares metric_rollups with the summaries computed afresh from metrics.</summary>
internal static class RollupCheck
{
    /// <summary>How many (trial, metric, width, bucket) summaries differ from metrics' rows, or exist on one side only.</summary>
    public static async Task<long> DifferingAsync(DsdrDatabase database)
    {
        await using var connection = await database.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("""
            WITH fresh AS (
                SELECT trial_id, name, w.width, floor(step / w.width::float8)::int AS bucket, count(*)::int AS n, sum(value) AS value_sum,
                       min(value) AS min_value, (array_agg(step ORDER BY value, step))[1] AS min_step,
                       max(value) AS max_value, (array_agg(step ORDER BY value DESC, step DESC))[1] AS max_step
                FROM metrics CROSS JOIN (VALUES (8), (64), (512)) AS w(width) GROUP BY 1, 2, 3, 4
            )
            SELECT count(*) FROM fresh f FULL JOIN metric_rollups r USING (trial_id, name, width, bucket)
            WHERE r.n IS DISTINCT FROM f.n OR abs(r.value_sum - f.value_sum) > 1e-9 OR r.min_value IS DISTINCT FROM f.min_value
               OR r.min_step IS DISTINCT FROM f.min_step OR r.max_value IS DISTINCT FROM f.max_value OR r.max_step IS DISTINCT FROM f.max_step
            """);
    }
}

/// <summary>metric_rollups kept by db/0005's triggers and db/0007's catch-up, and curves read from them, against a real PostgreSQL.</summary>
public sealed class MetricRollupTests(PostgresFixture fixture) : DatabaseTest(fixture)
{
    // The rollups must equal the summaries computed afresh from what metrics holds, whatever wrote it.
    private async Task AssertRollupsMatchMetricsAsync() => Assert.Equal(0, await RollupCheck.DifferingAsync(Database));

    private static IEnumerable<MetricSample> Curve(string trial, string name, int from, int to, Func<int, double> value) =>
        Enumerable.Range(from, to - from + 1).Select(s => new MetricSample(trial, s, name, value(s)));

    [Fact]
    public async Task Every_write_path_keeps_the_rollups_equal_to_the_metrics_they_summarise()
    {
        var metrics = new MetricRepository(Database);
        await metrics.WriteAsync([.. Curve("t1", "loss", 0, 999, s => Math.Cos(s / 13.0)), .. Curve("t2", "loss", 5, 300, s => s % 17)]);
        await AssertRollupsMatchMetricsAsync();
        // a batch that overlaps stored rows takes the duplicate-safe path: only its new rows count
        Assert.Equal(500, await metrics.WriteAsync([.. Curve("t1", "loss", 900, 1499, s => -s), .. Curve("t2", "loss", 5, 9, _ => 1e6)]));
        await AssertRollupsMatchMetricsAsync();
        await using (var connection = await Database.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("UPDATE metrics SET value = value + 1 WHERE trial_id = 't2' AND step < 100");
            await AssertRollupsMatchMetricsAsync();
            await connection.ExecuteAsync("DELETE FROM metrics WHERE trial_id = 't1' AND step BETWEEN 100 AND 200");
            await AssertRollupsMatchMetricsAsync();
        }
        await using (var connection = await Database.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("DELETE FROM metrics WHERE trial_id = 't1'");
            await AssertRollupsMatchMetricsAsync();
            await connection.ExecuteAsync("TRUNCATE metrics");
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM metric_rollups"));
        }
    }

    [Fact]
    public async Task A_long_curve_is_read_from_the_rollups_as_it_would_be_from_its_points_and_a_narrow_window_exactly()
    {
        var metrics = new MetricRepository(Database);
        double Value(int s) => Math.Sin(s / 50.0) + (s == 4321 ? 5 : 0);
        await metrics.WriteAsync([.. Curve("t1", "reward", 1, 10_000, Value), .. Curve("t2", "reward", 1, 6_000, s => Value(s) / 2),
            .. Enumerable.Range(1, 100).Select(i => new MetricSample("t1", i * 100, "eval/avg@16", i / 100.0))]);

        var summaries = await metrics.GetSummariesAsync(["t1", "t2"], ["reward", "eval/avg@16"], null, null, maxBuckets: 300, exactUpTo: 300);
        Assert.Equal(3, summaries.Count);
        var t1 = Assert.Single(summaries, s => s is { TrialId: "t1", Name: "reward" });
        var t2 = Assert.Single(summaries, s => s is { TrialId: "t2", Name: "reward" });
        Assert.Equal((64, 64), (t1.Width, t2.Width)); // one width for both: the buckets line up
        Assert.Equal((10_000L, 6_000L), (t1.TotalPoints, t2.TotalPoints));
        Assert.Equal(MetricBuckets.FromPoints(Curve("t1", "reward", 1, 10_000, Value).Select(m => new MetricPoint(m.Step, m.Value)), 64), t1.Buckets,
            SumTolerant.Instance);
        // the sparse evaluation curve (100 points) comes back whole
        var eval = Assert.Single(summaries, s => s.Name == "eval/avg@16");
        Assert.True(eval.Exact);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => i * 100), eval.Buckets.Select(b => b.MinStep));

        // the min/max line keeps the spike
        var series = await metrics.GetSeriesAsync(["t1"], ["reward"], maxPoints: 300);
        Assert.Contains(new MetricPoint(4321, Value(4321)), Assert.Single(series).Points);
        Assert.InRange(series[0].Points.Count, 150, 300);

        // a zoomed window of 201 steps: every point, exact
        var window = await metrics.GetSummariesAsync(["t1", "t2"], ["reward"], 4000, 4200, 300, 300);
        Assert.All(window, s => Assert.True(s.Exact));
        Assert.Equal(Enumerable.Range(4000, 201).Select(s => Value(s)), window.Single(s => s.TrialId == "t1").Buckets.Select(b => b.Mean));
        // a window between levels reads the raw rows, downsampled: 1,000 steps into 4-step buckets
        var middle = await metrics.GetSummariesAsync(["t1"], ["reward"], 2001, 3000, 300, 300);
        Assert.Equal(4, Assert.Single(middle).Width);
        Assert.Equal(MetricBuckets.FromPoints(Enumerable.Range(2001, 1000).Select(s => new MetricPoint(s, Value(s))), 4), middle[0].Buckets);

        Assert.Empty(await metrics.GetSummariesAsync(["t1"], ["reward"], 20_000, 30_000, 300, 300));
        Assert.Empty(await metrics.GetSummariesAsync(["no-such-trial"], ["reward"], null, null, 300, 300));
    }
}
