using System.Globalization;
using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;
using Npgsql;
using NpgsqlTypes;

namespace Dsdr.Web.BrowserTests;

/// <summary>The size of a seeded sweep: GRPO plus DSDR on a 3 × 3 (λ_d, τ) grid = 10 rows, each with <paramref name="SeedsPerRow"/> seeds.</summary>
/// <param name="Names">The step metrics each trial records at every step.</param>
public sealed record BigSweepShape(int SeedsPerRow, int Steps, IReadOnlyList<string> Names)
{
    /// <summary>The scale: 10 rows × 20 seeds = 200 trials × 10,000 steps of the four curves the sweep page offers first.</summary>
    public static BigSweepShape Full { get; } = new(20, 10_000, BigSweep.CurveNames);

    public int Rows => 10;
    public int Trials => Rows * SeedsPerRow;
    public long MetricRows => (long)Trials * Steps * Names.Count;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Trials} trials ({Rows} rows × {SeedsPerRow} seeds) × {Steps:N0} steps × {Names.Count} metrics = {MetricRows:N0} rows");
}

/// <summary>What <see cref="BigSweep.SeedAsync"/> stored: the sweep's id and its trials in expansion order.</summary>
public sealed record SeededSweep(string SweepId, BigSweepShape Shape, IReadOnlyList<TrialSpec> Trials)
{
    /// <summary>The rows in the sweep's order (GRPO first).</summary>
    public IReadOnlyList<string> Rows => [.. Trials.Select(t => t.Row).Distinct()];
}

/// <summary>
/// A finished sweep written straight into PostgreSQL, as the platform's own writers leave it: the sweep and its trials
/// (completed), every step metric through binary COPY, and a step-0 and a final evaluation per trial. Values follow
/// <see cref="Value"/>, so a test knows every stored point without reading it back.
/// </summary>
public static class BigSweep
{
    public static IReadOnlyList<string> CurveNames { get; } = ["reward/mean", "entropy", "similarity/semantic", "similarity/formula"];

    public const string Benchmark = "countdown";
    private static readonly int[] PassKs = [1, 2, 4, 8, 16];

    public static SweepSpec Spec(string name, BigSweepShape shape)
    {
        var seeds = string.Join(", ", Enumerable.Range(0, shape.SeedsPerRow));
        var json = $$"""
            {
              "name": "{{name}}",
              "task": { "kind": "countdown", "numbers": 3 },
              "model": { "preset": "countdown" },
              "base": { "lambdaL": 0.01, "totalSteps": {{shape.Steps}}, "warmupSteps": 0 },
              "arms": ["grpo", "dsdr"],
              "grid": { "lambdaD": [0.001, 0.01, 0.1], "tau": [1, 5, 10] },
              "seeds": [{{seeds}}],
              "eval": { "everySteps": {{shape.Steps}} },
              "maxTrials": 100000
            }
            """;
        return SweepSpecParser.Parse(json).GetSpecOrThrow();
    }

    /// <summary>
    /// The stored value of a metric: a learning curve per row that rises (reward) or falls (entropy, similarities) with
    /// the step, a per-seed offset and a deterministic per-(seed, step) jitter in [−0.05, 0.05).
    /// </summary>
    public static double Value(int rowIndex, int seed, string name, int step)
    {
        var progress = 1 - Math.Exp(-step / 2500.0);
        var jitter = (Mix((uint)rowIndex, (uint)seed, (uint)step, (uint)name.Length) % 10_000) / 100_000.0 - 0.05;
        var offset = 0.01 * (seed % 5);
        return name switch
        {
            "reward/mean" => 0.2 + (0.3 + 0.02 * rowIndex) * progress + offset + jitter,
            "entropy" => 1.5 - (0.6 + 0.03 * rowIndex) * progress + offset + jitter,
            _ => 0.9 + 0.05 * progress - 0.005 * rowIndex + offset / 10 + jitter / 10,
        };
    }

    /// <summary>Stores the sweep (ids from Core's expansion of <see cref="Spec"/>); returns what it wrote.</summary>
    public static async Task<SeededSweep> SeedAsync(NpgsqlDataSource dataSource, string name, BigSweepShape shape, CancellationToken cancellationToken = default)
    {
        var spec = Spec(name, shape);
        var trials = SweepExpander.Expand(spec);
        var rows = trials.Select(t => t.Row).Distinct().ToList();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var sweep = new NpgsqlCommand(
            "INSERT INTO sweeps (sweep_id, name, spec, status) VALUES ($1, $2, CAST($3 AS jsonb), 'completed')", connection))
        {
            sweep.Parameters.AddWithValue(spec.Name);
            sweep.Parameters.AddWithValue(spec.Name);
            sweep.Parameters.AddWithValue(SweepSpecWriter.ToJson(spec, indented: false));
            await sweep.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var importer = await connection.BeginBinaryImportAsync(
            "COPY trials (trial_id, sweep_id, arm, row_label, seed, config, status, attempts, last_step, started_at, finished_at) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            var finished = DateTime.UtcNow;
            foreach (var t in trials)
            {
                await importer.StartRowAsync(cancellationToken);
                importer.Write(t.TrialId, NpgsqlDbType.Text);
                importer.Write(spec.Name, NpgsqlDbType.Text);
                importer.Write(t.Arm, NpgsqlDbType.Text);
                importer.Write(t.Row, NpgsqlDbType.Text);
                importer.Write(t.Seed, NpgsqlDbType.Integer);
                importer.Write(t.ToJson(), NpgsqlDbType.Jsonb);
                importer.Write("completed", NpgsqlDbType.Text);
                importer.Write(1, NpgsqlDbType.Integer);
                importer.Write(shape.Steps, NpgsqlDbType.Integer);
                importer.Write(finished.AddHours(-1), NpgsqlDbType.TimestampTz);
                importer.Write(finished, NpgsqlDbType.TimestampTz);
            }
            await importer.CompleteAsync(cancellationToken);
        }
        await using (var importer = await connection.BeginBinaryImportAsync(
            "COPY metrics (trial_id, name, step, value) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            // key order (trial, name, step), as the ingest path writes its batches
            foreach (var t in trials.OrderBy(t => t.TrialId, StringComparer.Ordinal))
            {
                var row = rows.IndexOf(t.Row);
                foreach (var metric in shape.Names.Order(StringComparer.Ordinal))
                    for (var step = 1; step <= shape.Steps; step++)
                    {
                        importer.StartRow();
                        importer.Write(t.TrialId, NpgsqlDbType.Text);
                        importer.Write(metric, NpgsqlDbType.Text);
                        importer.Write(step, NpgsqlDbType.Integer);
                        importer.Write(Value(row, t.Seed, metric, step), NpgsqlDbType.Double);
                    }
            }
            await importer.CompleteAsync(cancellationToken);
        }
        await using (var importer = await connection.BeginBinaryImportAsync(
            "COPY evals (trial_id, step, benchmark, metric, k, value) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var t in trials)
                foreach (var step in new[] { 0, shape.Steps })
                    foreach (var (metric, k, value) in Evaluation(rows.IndexOf(t.Row), t.Seed, step))
                    {
                        importer.StartRow();
                        importer.Write(t.TrialId, NpgsqlDbType.Text);
                        importer.Write(step, NpgsqlDbType.Integer);
                        importer.Write(Benchmark, NpgsqlDbType.Text);
                        importer.Write(metric, NpgsqlDbType.Text);
                        importer.Write(k, NpgsqlDbType.Integer);
                        importer.Write(value, NpgsqlDbType.Double);
                    }
            await importer.CompleteAsync(cancellationToken);
        }
        // the rollups caught up, as every Dsdr host's maintainer leaves them within a second (db/0007; a schema before it
        // summed them inside the COPY)
        await using (var catchUp = new NpgsqlCommand("""
            DO $$ BEGIN
                IF to_regproc('dsdr_metric_rollups_catch_up') IS NOT NULL THEN PERFORM dsdr_metric_rollups_catch_up(); END IF;
            END $$
            """, connection) { CommandTimeout = 0 })
            await catchUp.ExecuteNonQueryAsync(cancellationToken);
        await using (var analyze = new NpgsqlCommand("ANALYZE trials; ANALYZE metrics; ANALYZE evals", connection))
            await analyze.ExecuteNonQueryAsync(cancellationToken);
        return new SeededSweep(spec.Name, shape, trials);
    }

    /// <summary>
    /// One evaluation's figures: pass@1, Avg@16 and pass@k for k = 1 … 16 (k = 0 stands for "no k", as in the evals table).
    /// Step 0 is the shared backbone's; later rows gain more at large k the higher their index.
    /// </summary>
    public static IEnumerable<(string Metric, int K, double Value)> Evaluation(int rowIndex, int seed, int step)
    {
        var trained = step > 0 ? 1.0 : 0.0;
        var jitter = (Mix((uint)rowIndex, (uint)seed, (uint)step, 7) % 1000) / 50_000.0;
        var pass1 = 0.30 + trained * (0.10 + 0.004 * rowIndex) + jitter;
        yield return (EvalMetrics.Pass1, 0, pass1);
        yield return (EvalMetrics.AvgAtK, 16, pass1 - 0.01);
        foreach (var k in PassKs)
            yield return (EvalMetrics.PassAtK, k, Math.Min(1, pass1 + (0.08 + trained * 0.004 * rowIndex) * Math.Log2(k)));
    }

    // a 32-bit integer hash (murmur3's finaliser over the combined inputs): stable across runs and platforms
    private static uint Mix(uint a, uint b, uint c, uint d)
    {
        var h = a * 0x9E3779B1u ^ b * 0x85EBCA77u ^ c * 0xC2B2AE3Du ^ d * 0x27D4EB2Fu;
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        h ^= h >> 16;
        return h;
    }
}
