using Dapper;
using Dsdr.Storage.Ingest;
using Dsdr.Storage.Migrations;
using Dsdr.Storage.Repositories;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Dsdr.Storage.Tests;

/// <summary>Each series' first and last step of a batch in key order, by hand.</summary>
public sealed class StepRangeTests
{
    [Fact]
    public void Adjacent_samples_of_one_series_make_one_range_from_its_first_to_its_last_step()
    {
        MetricSample[] ordered =
        [
            new("a", 3, "loss", 0), new("a", 9, "loss", 0), new("a", 1, "lr", 0), new("b", -4, "loss", 0), new("b", 7, "loss", 0), new("b", 7, "loss", 1),
        ];
        var ranges = MetricCopy.StepRanges(ordered);
        Assert.Equal(["a", "a", "b"], ranges.Trials);
        Assert.Equal(["loss", "lr", "loss"], ranges.Names);
        Assert.Equal([3, 1, -4], ranges.FirstSteps);
        Assert.Equal([9, 1, 7], ranges.LastSteps);
        Assert.Empty(MetricCopy.StepRanges([]).Trials);
    }
}

/// <summary>
/// db/0007: writes record the step ranges they touched and a catch-up sums them into metric_rollups, for every way rows
/// reach metrics; reads of the rollups are exact whether or not anything caught up before them.
/// </summary>
public sealed class DeferredRollupTests(PostgresFixture fixture) : DatabaseTest(fixture)
{
    private const string InsertOne = "INSERT INTO metrics (trial_id, name, step, value) VALUES (@TrialId, @Name, @Step, @Value) ON CONFLICT DO NOTHING";

    private static double Value(string trial, string name, int step) => Math.Sin(step / 37.0 + trial.Length) * 3 + (step % 97 == 0 ? 9 : 0) - name.Length * 0.1;

    // 2 trials × 2 metrics × 1,300 steps (three 512-step buckets), in the order training reports them: step by step, every
    // series of a step together; first the steps not divisible by 5, then those (a backfill into buckets already summed).
    private static List<MetricSample> Rows()
    {
        var all = (from step in Enumerable.Range(0, 1300) from trial in new[] { "t1", "t2" } from name in new[] { "loss", "reward" }
                   select new MetricSample(trial, step, name, Value(trial, name, step))).ToList();
        return [.. all.Where(s => s.Step % 5 != 0), .. all.Where(s => s.Step % 5 == 0)];
    }

    // Each way rows reach metrics, given the rows in arrival order.
    private async Task WriteAsync(string path, IReadOnlyList<MetricSample> rows)
    {
        await using var connection = await Database.OpenConnectionAsync();
        switch (path)
        {
            case "copy":
                foreach (var batch in rows.Chunk(700)) await MetricCopy.WriteAsync(connection, batch);
                break;
            case "staged":
                foreach (var batch in rows.Chunk(700)) await MetricCopy.WriteStagedAsync(connection, batch);
                break;
            case "ingestor":
                await using (var ingestor = new MetricIngestor(Database, new MetricIngestorOptions { BatchSize = 700 }))
                {
                    await ingestor.WriteAsync(rows);
                    await ingestor.FlushAsync();
                }
                break;
            case "single insert": // one statement per row, as a hand-written writer would
                await using (var transaction = await connection.BeginTransactionAsync())
                {
                    await connection.ExecuteAsync(InsertOne, rows, transaction);
                    await transaction.CommitAsync();
                }
                break;
            case "raw copy": // another process's plain COPY, all rows in one statement
                await using (var importer = await connection.BeginBinaryImportAsync("COPY metrics (trial_id, name, step, value) FROM STDIN (FORMAT BINARY)"))
                {
                    foreach (var r in rows) await importer.WriteRowAsync(default, r.TrialId, r.Name, r.Step, r.Value);
                    await importer.CompleteAsync();
                }
                break;
            default:
                throw new ArgumentException($"Unknown write path '{path}'.", nameof(path));
        }
    }

    private async Task<long> PendingAsync()
    {
        await using var connection = await Database.OpenConnectionAsync();
        return await MetricRollups.PendingAsync(connection);
    }

    private async Task CatchUpAsync()
    {
        await using var connection = await Database.OpenConnectionAsync();
        await MetricRollups.CatchUpAsync(connection);
    }

    // Reads of the whole curve with 100, 10 and 4 buckets against the buckets computed from the points they summarise;
    // returns the rollup levels they read.
    private async Task<IReadOnlySet<int>> AssertReadsAreExactAsync(string trial, string name, IReadOnlyCollection<MetricSample> stored)
    {
        var points = stored.Where(s => s.TrialId == trial && s.Name == name).OrderBy(s => s.Step).Select(s => new MetricPoint(s.Step, s.Value)).ToList();
        var levels = new HashSet<int>();
        foreach (var buckets in new[] { 100, 10, 4 })
        {
            var plan = SummaryPlan.For(points[0].Step, points[^1].Step, buckets, buckets);
            Assert.True(plan.Level > 1, $"{points.Count} points in {buckets} buckets are read from the rollups");
            var summary = Assert.Single(await new MetricRepository(Database).GetSummariesAsync([trial], [name], null, null, buckets, buckets));
            Assert.Equal(plan.Width, summary.Width);
            Assert.Equal(MetricBuckets.FromPoints(points, plan.Width), summary.Buckets, SumTolerant.Instance);
            levels.Add(plan.Level);
        }
        return levels;
    }

    [Theory]
    [InlineData("copy")]
    [InlineData("staged")]
    [InlineData("ingestor")]
    [InlineData("single insert")]
    [InlineData("raw copy")]
    public async Task Every_write_path_is_summed_exactly_by_a_catch_up_and_read_exactly_before_one(string path)
    {
        var rows = Rows();
        var firstPart = rows.Where(r => r.Step < 700).ToList();
        await WriteAsync(path, firstPart);
        var pendingBefore = await PendingAsync();
        Assert.True(pendingBefore > 0, "the write recorded its step ranges");
        Assert.Equal(firstPart.Count, await CountAsync("SELECT count(*) FROM metrics"));

        // a read catches up the series it reads, and only those
        await AssertReadsAreExactAsync("t1", "loss", firstPart);
        Assert.InRange(await PendingAsync(), 1, pendingBefore - 1);

        // the rest; an idempotent writer replays the first part with it (only the rest is new)
        var idempotent = path != "raw copy";
        await WriteAsync(path, idempotent ? rows : [.. rows.Where(r => r.Step >= 700)]);
        Assert.Equal(rows.Count, await CountAsync("SELECT count(*) FROM metrics"));
        Assert.Equal([8, 64, 512], (await AssertReadsAreExactAsync("t2", "reward", rows)).Order());
        await CatchUpAsync();
        Assert.Equal(0, await PendingAsync());
        Assert.Equal(0, await RollupCheck.DifferingAsync(Database));
        if (!idempotent) return;

        await WriteAsync(path, [.. rows.Where(r => r.Step % 3 == 0)]); // every row stored already
        Assert.Equal(0, await PendingAsync()); // nothing new, nothing to catch up
        Assert.Equal(0, await RollupCheck.DifferingAsync(Database));
        await AssertReadsAreExactAsync("t1", "reward", rows);
    }

    [Fact]
    public async Task Writers_catch_ups_reads_and_a_rewrite_running_at_once_leave_the_rollups_exact()
    {
        var rows = Rows();
        using var stop = new CancellationTokenSource();
        var metrics = new MetricRepository(Database);
        async Task CatchUpLoopAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                await CatchUpAsync();
                await metrics.GetSummariesAsync(["t1", "t2"], ["loss"], null, null, 10, 10); // a read's own catch-up
            }
        }
        var catchUps = new[] { Task.Run(CatchUpLoopAsync), Task.Run(CatchUpLoopAsync) };
        // two ingestors with overlapping rows (each row reaches metrics once), a plain writer, and an update of stored rows
        await Task.WhenAll(
            Task.Run(() => WriteAsync("ingestor", [.. rows.Where(r => r.Step % 2 == 0)])),
            Task.Run(() => WriteAsync("ingestor", [.. rows.Where(r => r.Step % 3 == 0)])),
            Task.Run(() => WriteAsync("single insert", [.. rows.Where(r => r.Step % 2 == 1 && r.Step % 3 != 0)])),
            Task.Run(async () =>
            {
                await using var connection = await Database.OpenConnectionAsync();
                for (var i = 0; i < 5; i++)
                {
                    await connection.ExecuteAsync("UPDATE metrics SET value = value * 2 WHERE trial_id = 't1' AND step BETWEEN 300 AND 900");
                    await Task.Delay(20);
                }
            }));
        await stop.CancelAsync();
        await Task.WhenAll(catchUps);

        Assert.Equal(rows.Count, await CountAsync("SELECT count(*) FROM metrics"));
        await AssertReadsAreExactAsync("t1", "loss", await StoredAsync("t1", "loss"));
        await CatchUpAsync();
        Assert.Equal(0, await RollupCheck.DifferingAsync(Database));
    }

    private async Task<List<MetricSample>> StoredAsync(string trial, string name)
    {
        await using var connection = await Database.OpenConnectionAsync();
        return (await connection.QueryAsync<MetricSample>(
            "SELECT trial_id AS TrialId, step AS Step, name AS Name, value AS Value FROM metrics WHERE trial_id = @trial AND name = @name",
            new { trial, name })).AsList();
    }

    [Fact]
    public async Task The_maintainer_catches_up_in_the_background()
    {
        var maintainer = new MetricRollupMaintainer(Database, Options.Create(new MetricRollupMaintainerOptions { Interval = TimeSpan.FromMilliseconds(50) }));
        await maintainer.StartAsync(CancellationToken.None);
        try
        {
            await WriteAsync("ingestor", Rows());
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (await PendingAsync() > 0 && DateTime.UtcNow < until) await Task.Delay(50);
            Assert.Equal(0, await PendingAsync());
            Assert.Equal(0, await RollupCheck.DifferingAsync(Database));
        }
        finally
        {
            await maintainer.StopAsync(CancellationToken.None);
        }
        Assert.Throws<ArgumentException>(() => new MetricRollupMaintainer(Database, Options.Create(new MetricRollupMaintainerOptions { Interval = TimeSpan.Zero })));
    }

    [Fact]
    public async Task Rollups_summed_by_0005s_triggers_carry_on_after_0007()
    {
        var connectionString = await Fixture.NewEmptyDatabaseAsync();
        var all = MigrationRunner.EmbeddedMigrations();
        var rows = Rows();
        await using (var dataSource = NpgsqlDataSource.Create(connectionString))
        {
            await new MigrationRunner(dataSource, [.. all.Where(m => m.Version <= 6)]).MigrateAsync();
            await using (var connection = await dataSource.OpenConnectionAsync())
                await connection.ExecuteAsync(InsertOne, rows.Where(r => r.Step < 300));   // summed by db/0005's insert trigger
        }

        await using var database = DsdrDatabase.FromConnectionString(connectionString); // migrates to the newest
        Assert.Equal(0, await RollupCheck.DifferingAsync(database));
        await using (var connection = await database.OpenConnectionAsync())
        {
            Assert.Equal(0, await MetricRollups.PendingAsync(connection));
            await MetricCopy.WriteAsync(connection, rows);
            await MetricRollups.CatchUpAsync(connection);
        }
        Assert.Equal(0, await RollupCheck.DifferingAsync(database));
    }
}
