// Storage benchmark: metric ingest through binary COPY (MetricCopy, MetricIngestor) against Dapper INSERT of the same rows,
// then result-table and metric-series query latency over a large metrics table.
//   dotnet run -c Release --project bench/Dsdr.Bench.Storage -- [--ingest-rows 200000] [--insert-rows 50000]
//       [--metric-rows 10000000] [--trials 10000] [--sweeps 100] [--queries 50] [--batch 10000] [--repeat 3]
// The Dapper peer writes the first --insert-rows of the same rows (row-by-row INSERT is ~100x slower, so fewer by default).
// Uses DSDR_PG when set, else a private PostgreSQL in a temporary folder with the persistent (fsync on) settings,
// or with --ephemeral the test settings (fsync, full_page_writes, synchronous_commit off).
// The writes leave the metric rollups to a catch-up (db/0007); the indented lines time that catch-up on its own.
using System.Diagnostics;
using System.Globalization;
using Dapper;
using Dsdr.Storage;
using Dsdr.Storage.Embedded;
using Dsdr.Storage.Ingest;
using Dsdr.Storage.Repositories;
using Npgsql;

var ephemeral = args.Contains("--ephemeral");
var options = BenchOptions.Parse(args.Where(a => a != "--ephemeral").ToArray());
Console.WriteLine($"Dsdr storage benchmark: {options}");

EmbeddedPostgres? server = null;
var folder = Path.Combine(Path.GetTempPath(), $"dsdr-bench-{Guid.NewGuid():N}");
var connectionString = Environment.GetEnvironmentVariable(DsdrDatabaseOptions.EnvironmentVariable);
try
{
    if (connectionString is null)
    {
        var started = Stopwatch.StartNew();
        server = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions { DataDirectory = folder, Database = "dsdr_bench", Ephemeral = ephemeral });
        Console.WriteLine($"embedded PostgreSQL ({(ephemeral ? "ephemeral: fsync, full_page_writes, synchronous_commit off" : "persistent settings: fsync on")}) " +
                          $"ready in {started.Elapsed.TotalSeconds:F1} s on port {server.Port}");
        connectionString = server.ConnectionString;
    }
    await using var database = DsdrDatabase.FromConnectionString(connectionString);
    var dataSource = await database.GetDataSourceAsync();
    await using (var probe = await dataSource.OpenConnectionAsync())
        Console.WriteLine(await probe.ExecuteScalarAsync<string>("SELECT version()"));

    await IngestBench.RunAsync(database, options);
    await QueryBench.RunAsync(database, options);
}
finally
{
    if (server is not null) await server.DisposeAsync();
    if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
}

internal sealed record BenchOptions(int IngestRows, int InsertRows, long MetricRows, int Trials, int Sweeps, int Queries, int Batch, int Repeat)
{
    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions(200_000, 50_000, 10_000_000, 10_000, 100, 50, 10_000, 3);
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            long Number() => long.Parse(Next().Replace("_", ""), CultureInfo.InvariantCulture);
            o = args[i] switch
            {
                "--ingest-rows" => o with { IngestRows = (int)Number() },
                "--insert-rows" => o with { InsertRows = (int)Number() },
                "--metric-rows" => o with { MetricRows = Number() },
                "--trials" => o with { Trials = (int)Number() },
                "--sweeps" => o with { Sweeps = (int)Number() },
                "--queries" => o with { Queries = (int)Number() },
                "--batch" => o with { Batch = (int)Number() },
                "--repeat" => o with { Repeat = Math.Max(1, (int)Number()) },
                _ => throw new ArgumentException(
                    $"Unknown option '{args[i]}'. Options: --ingest-rows N --insert-rows N --metric-rows N --trials N --sweeps N --queries N --batch N --repeat N"),
            };
        }
        if (o.Trials < o.Sweeps || o.Trials % o.Sweeps != 0)
            throw new ArgumentException($"--trials ({o.Trials}) must be a multiple of --sweeps ({o.Sweeps}).");
        if (o.MetricRows < o.Trials) throw new ArgumentException($"--metric-rows ({o.MetricRows}) must be at least --trials ({o.Trials}).");
        return o;
    }
}

internal static class IngestBench
{
    // Rows shaped like training metrics: 50 trials × 8 names × steps.
    private static List<MetricSample> Rows(int count, string prefix)
    {
        string[] names = ["loss", "reward", "entropy", "kl", "clip_frac", "adv_std", "grad_norm", "lr"];
        return Enumerable.Range(0, count)
            .Select(i => new MetricSample($"{prefix}{i % 50:x16}", i / (50 * names.Length), names[i / 50 % names.Length], Math.Sin(i) * 3.5))
            .ToList();
    }

    public static async Task RunAsync(DsdrDatabase database, BenchOptions options)
    {
        Console.WriteLine();
        Console.WriteLine($"== ingest into metrics (primary key, idempotent writes); each figure best and median of {options.Repeat} runs ==");
        var rows = Rows(Math.Max(options.IngestRows, options.InsertRows), "i");
        var copyRows = rows.Take(options.IngestRows).ToList();
        var insertRows = rows.Take(options.InsertRows).ToList();

        await using (var connection = await database.OpenConnectionAsync())
            await MetricCopy.WriteAsync(connection, Rows(1000, "warm")); // JIT and staging table, outside the timing

        var copy = await TimeAsync(database, options.Repeat, copyRows.Count, async () =>
        {
            await using var connection = await database.OpenConnectionAsync();
            foreach (var batch in copyRows.Chunk(options.Batch)) await MetricCopy.WriteAsync(connection, batch);
        });
        Print($"MetricCopy ({options.Batch:N0}-row batches; direct COPY, fresh rows)", copyRows.Count, copy);

        // The rollups' share, which db/0007 moved out of the writes: one catch-up after all the batches above.
        var catchUp = await TimeAfterAsync(database, options.Repeat,
            async connection => { foreach (var batch in copyRows.Chunk(options.Batch)) await MetricCopy.WriteAsync(connection, batch); },
            async connection => await MetricRollups.CatchUpAsync(connection));
        Print("  then the rollup catch-up of those rows (one, in the background)", copyRows.Count, catchUp);
        Console.WriteLine($"  MetricCopy direct with its catch-up: {copyRows.Count / (copy.Best + catchUp.Best),9:N0} rows/s on best runs");

        var staged = await TimeAsync(database, options.Repeat, copyRows.Count, async () =>
        {
            await using var connection = await database.OpenConnectionAsync();
            foreach (var batch in copyRows.Chunk(options.Batch)) await MetricCopy.WriteStagedAsync(connection, batch);
        });
        Print("MetricCopy duplicate-safe path (COPY → staging → ON CONFLICT)", copyRows.Count, staged);

        var retried = await TimeAsync(database, options.Repeat, copyRows.Count, async () =>
        {
            await using var connection = await database.OpenConnectionAsync();
            foreach (var batch in copyRows.Chunk(options.Batch)) await MetricCopy.WriteAsync(connection, batch);
            foreach (var batch in copyRows.Chunk(options.Batch)) await MetricCopy.WriteAsync(connection, batch); // every batch again: all duplicates
        });
        Print("MetricCopy, every batch written twice (second pass all duplicates)", copyRows.Count * 2, retried);

        var ingest = await TimeAsync(database, options.Repeat, copyRows.Count, async () =>
        {
            await using var ingestor = new MetricIngestor(database, new MetricIngestorOptions { BatchSize = options.Batch });
            await ingestor.WriteAsync(copyRows);
            await ingestor.FlushAsync();
        });
        Print("MetricIngestor (bounded channel → MetricCopy)", copyRows.Count, ingest);

        // Reference: the raw COPY alone into an unindexed table (no key, no idempotency): this machine's ceiling.
        var raw = await TimeAsync(database, options.Repeat, expectedRows: null, async () =>
        {
            await using var connection = await database.OpenConnectionAsync();
            await connection.ExecuteAsync("DROP TABLE IF EXISTS raw_copy; CREATE TABLE raw_copy (trial_id text, name text, step integer, value double precision)");
            foreach (var batch in copyRows.Chunk(options.Batch))
            {
                await using var importer = await connection.BeginBinaryImportAsync("COPY raw_copy FROM STDIN (FORMAT BINARY)");
                foreach (var r in batch)
                {
                    importer.StartRow();
                    importer.Write(r.TrialId, NpgsqlTypes.NpgsqlDbType.Text);
                    importer.Write(r.Name, NpgsqlTypes.NpgsqlDbType.Text);
                    importer.Write(r.Step, NpgsqlTypes.NpgsqlDbType.Integer);
                    importer.Write(r.Value, NpgsqlTypes.NpgsqlDbType.Double);
                }
                await importer.CompleteAsync();
            }
        });
        Print("reference: raw binary COPY into an unindexed table", copyRows.Count, raw);
        await using (var connection = await database.OpenConnectionAsync())
            await connection.ExecuteAsync("DROP TABLE IF EXISTS raw_copy");

        var insert = await TimeAsync(database, options.Repeat, insertRows.Count, async () =>
        {
            await using var connection = await database.OpenConnectionAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync(
                "INSERT INTO metrics (trial_id, name, step, value) VALUES (@TrialId, @Name, @Step, @Value) ON CONFLICT DO NOTHING",
                insertRows, transaction);
            await transaction.CommitAsync();
        });
        Print("peer: Dapper INSERT … ON CONFLICT, row by row, one tx", insertRows.Count, insert);

        var copyRate = copyRows.Count / copy.Best;
        var insertRate = insertRows.Count / insert.Best;
        Console.WriteLine($"COPY / Dapper INSERT: {copyRate / insertRate:F1}x on best runs, {copyRows.Count / copy.Median / (insertRows.Count / insert.Median):F1}x on medians " +
                          "(targets: >= 10x; COPY >= 200,000 rows/s)");
        await TruncateAsync(database);
    }

    private sealed record Timing(double Best, double Median);

    // Runs the write `repeat` times on an empty metrics table, checks the row count, returns best and median seconds.
    private static async Task<Timing> TimeAsync(DsdrDatabase database, int repeat, long? expectedRows, Func<Task> write)
    {
        var seconds = new List<double>();
        for (var i = 0; i < repeat; i++)
        {
            await TruncateAsync(database);
            var clock = Stopwatch.StartNew();
            await write();
            seconds.Add(clock.Elapsed.TotalSeconds);
            if (expectedRows is { } expected) await CheckCountAsync(database, expected);
        }
        seconds.Sort();
        return new Timing(seconds[0], seconds[seconds.Count / 2]);
    }

    // Runs `setup` untimed on an empty metrics table, then times `timed`, `repeat` times; best and median seconds of `timed`.
    private static async Task<Timing> TimeAfterAsync(DsdrDatabase database, int repeat, Func<NpgsqlConnection, Task> setup, Func<NpgsqlConnection, Task> timed)
    {
        var seconds = new List<double>();
        for (var i = 0; i < repeat; i++)
        {
            await TruncateAsync(database);
            await using var connection = await database.OpenConnectionAsync();
            await setup(connection);
            var clock = Stopwatch.StartNew();
            await timed(connection);
            seconds.Add(clock.Elapsed.TotalSeconds);
        }
        seconds.Sort();
        return new Timing(seconds[0], seconds[seconds.Count / 2]);
    }

    private static void Print(string label, int rows, Timing timing) =>
        Console.WriteLine($"{label,-58} {rows,9:N0} rows: best {rows / timing.Best,9:N0} rows/s ({timing.Best:F2} s), median {rows / timing.Median,9:N0} rows/s");

    private static async Task TruncateAsync(DsdrDatabase database)
    {
        await using var connection = await database.OpenConnectionAsync();
        await connection.ExecuteAsync("TRUNCATE metrics");
    }

    private static async Task CheckCountAsync(DsdrDatabase database, long expected)
    {
        await using var connection = await database.OpenConnectionAsync();
        var count = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM metrics");
        if (count != expected) throw new InvalidOperationException($"metrics holds {count} rows, expected {expected}");
    }
}

internal static class QueryBench
{
    private static readonly string[] Names = ["loss", "reward", "entropy", "kl"];

    public static async Task RunAsync(DsdrDatabase database, BenchOptions options)
    {
        Console.WriteLine();
        var stepsPerName = (int)(options.MetricRows / options.Trials / Names.Length);
        var totalRows = (long)stepsPerName * Names.Length * options.Trials;
        Console.WriteLine($"== queries: {totalRows:N0} metric rows over {options.Trials:N0} trials in {options.Sweeps} sweeps " +
                          $"({Names.Length} metrics × {stepsPerName} steps per trial) ==");
        await GenerateAsync(database, options, stepsPerName);

        // Steady state: new steps of 1,000 running trials arriving into the full table (its key no longer fits small caches).
        var trialsWriting = Math.Min(1000, options.Trials);
        var newRows = (from t in Enumerable.Range(0, trialsWriting) from n in Names from s in Enumerable.Range(stepsPerName, 50)
                       select new MetricSample(Id(t), s, n, s * 0.001)).ToList();
        var clock = Stopwatch.StartNew();
        await using (var ingestor = new MetricIngestor(database, new MetricIngestorOptions { BatchSize = options.Batch }))
        {
            await ingestor.WriteAsync(newRows);
            await ingestor.FlushAsync();
        }
        Console.WriteLine($"MetricIngestor into the {totalRows:N0}-row table: {newRows.Count:N0} new rows ({trialsWriting} trials × {Names.Length} metrics × 50 steps) " +
                          $"in {clock.Elapsed.TotalSeconds:F2} s = {newRows.Count / clock.Elapsed.TotalSeconds:N0} rows/s");
        clock.Restart();
        await using (var connection = await database.OpenConnectionAsync())
            await MetricRollups.CatchUpAsync(connection);
        Console.WriteLine($"  then the rollup catch-up of those rows in {clock.Elapsed.TotalSeconds:F2} s");

        var evals = new EvalRepository(database);
        var metrics = new MetricRepository(database);
        var random = new Random(1);
        string Sweep() => $"sweep-{random.Next(options.Sweeps):D4}";
        string Trial() => Id(random.Next(options.Trials));

        await Report("result table, final eval (one sweep)", options.Queries, async () => (await evals.ResultTableAsync(Sweep(), EvalStepChoice.Final)).Count);
        await Report("result table, best step on math500 pass@1", options.Queries,
            async () => (await evals.ResultTableAsync(Sweep(), EvalStepChoice.BestAt("math500", "pass@1"))).Count);
        await Report($"metric series, 1 trial × {Names.Length} metrics, ≤200 points each", options.Queries,
            async () => (await metrics.GetSeriesAsync([Trial()], Names, 200)).Sum(s => s.Points.Count));
        var trialsPerSweep = options.Trials / options.Sweeps;
        await Report($"metric series, {trialsPerSweep} trials (a sweep) × reward, ≤200 points each", options.Queries,
            async () =>
            {
                var sweep = random.Next(options.Sweeps);
                var ids = Enumerable.Range(sweep * trialsPerSweep, trialsPerSweep).Select(Id).ToArray();
                return (await metrics.GetSeriesAsync(ids, ["reward"], 200)).Sum(s => s.Points.Count);
            });
    }

    private static string Id(int trial) => trial.ToString("x16", CultureInfo.InvariantCulture);

    private static async Task GenerateAsync(DsdrDatabase database, BenchOptions options, int stepsPerName)
    {
        var clock = Stopwatch.StartNew();
        await using var connection = await database.OpenConnectionAsync();
        var trialsPerSweep = options.Trials / options.Sweeps;
        var p = new { sweeps = options.Sweeps, trials = options.Trials, perSweep = trialsPerSweep, steps = stepsPerName, names = Names };
        await connection.ExecuteAsync("TRUNCATE metrics, evals, rollout_groups, trials, sweeps CASCADE");
        await connection.ExecuteAsync("""
            INSERT INTO sweeps (sweep_id, name, spec, status)
            SELECT format('sweep-%s', lpad(s::text, 4, '0')), 'bench', '{}', 'completed' FROM generate_series(0, @sweeps - 1) s
            """, p);
        await connection.ExecuteAsync("""
            INSERT INTO trials (trial_id, sweep_id, arm, row_label, seed, config, status)
            SELECT lpad(to_hex(t), 16, '0'), format('sweep-%s', lpad((t / @perSweep)::text, 4, '0')),
                   (ARRAY['grpo', 'dapo', 'dsdr'])[t % 3 + 1], (ARRAY['grpo', 'dapo', 'dsdr'])[t % 3 + 1] || format(' λd=%s', (t / 3) % 5),
                   (t / 15) % 3, '{}', 'completed'
            FROM generate_series(0, @trials - 1) t
            """, p);
        // Per trial: 5 evaluated steps × 2 benchmarks × (pass@1, avg@8, pass@8).
        await connection.ExecuteAsync("""
            INSERT INTO evals (trial_id, step, benchmark, metric, k, value)
            SELECT t.trial_id, s * 100, b, m.metric, m.k, random()
            FROM trials t, generate_series(1, 5) s, unnest(ARRAY['math500', 'aime24']) b,
                 (VALUES ('pass@1', 0), ('avg@k', 8), ('pass@k', 8)) m(metric, k)
            """, p);
        Console.WriteLine($"sweeps, trials, evals generated in {clock.Elapsed.TotalSeconds:F1} s");

        clock.Restart();
        // Bulk load the way a restore would: drop the key, load, rebuild the key, analyse.
        await connection.ExecuteAsync("ALTER TABLE metrics DROP CONSTRAINT metrics_pkey", commandTimeout: 0);
        await connection.ExecuteAsync("""
            INSERT INTO metrics (trial_id, name, step, value)
            SELECT lpad(to_hex(t), 16, '0'), n, s, random()
            FROM generate_series(0, @trials - 1) t, unnest(@names) n, generate_series(0, @steps - 1) s
            """, p, commandTimeout: 0);
        Console.WriteLine($"metrics generated in {clock.Elapsed.TotalSeconds:F1} s");
        clock.Restart();
        await connection.ExecuteAsync("ALTER TABLE metrics ADD PRIMARY KEY (trial_id, name, step)", commandTimeout: 0);
        foreach (var maintenance in new[] { "VACUUM ANALYZE metrics", "ANALYZE evals", "ANALYZE trials" })
            await connection.ExecuteAsync(maintenance, commandTimeout: 0);
        Console.WriteLine($"primary key rebuilt and tables analysed in {clock.Elapsed.TotalSeconds:F1} s");
        clock.Restart();
        await MetricRollups.CatchUpAsync(connection);
        Console.WriteLine($"rollups caught up in {clock.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"metrics: {await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM metrics"):N0} rows, " +
                          $"{await connection.ExecuteScalarAsync<string>("SELECT pg_size_pretty(pg_total_relation_size('metrics'))")}");
    }

    private static async Task Report(string label, int queries, Func<Task<int>> query)
    {
        await query(); // warm-up (plans, pool, JIT)
        var times = new List<double>(queries);
        long rows = 0;
        for (var i = 0; i < queries; i++)
        {
            var clock = Stopwatch.StartNew();
            rows += await query();
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        double Percentile(double p) => times[Math.Min(times.Count - 1, (int)Math.Ceiling(p * times.Count) - 1)];
        Console.WriteLine($"{label}: p50 {Percentile(0.5):F1} ms, p95 {Percentile(0.95):F1} ms, max {times[^1]:F1} ms " +
                          $"({rows / queries} rows per query, {queries} queries)");
    }
}
