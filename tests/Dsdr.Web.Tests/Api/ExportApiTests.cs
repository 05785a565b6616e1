using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text.Json;
using Dapper;
using Dsdr.Core.Results;
using Dsdr.Storage;
using Dsdr.Storage.Repositories;
using Dsdr.Tests.Export;
using static Dsdr.Web.Tests.Api.Http;

namespace Dsdr.Web.Tests.Api;

/// <summary>GET /api/sweeps/{id}/export: every metric and evaluation of a sweep, read back by DuckDB (not Parquet.Net) and held against PostgreSQL.</summary>
[Collection(WebApiCollection.Name)]
public sealed class ExportApiTests(WebApiFixture web) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dsdr-export-api-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_completed_sweep_exports_as_typed_parquet_and_csv_holding_every_stored_row()
    {
        using var client = web.Client();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync("/api/sweeps", Json(Spec("export-all", steps: 20, evalEvery: 10)))).StatusCode);
        var done = await WaitForSweepAsync(client, "export-all", s => s.Sweep.Status == "completed", "sweep export-all to complete");
        var trialIds = done.Trials.Select(t => t.TrialId).ToArray();

        var parquet = await ExtractAsync(client, "parquet");
        Assert.Equal(["eval_problems.parquet", "evals.parquet", "metrics.parquet", "trials.parquet"], parquet.Select(Path.GetFileName).Order());
        var tables = DuckDbReader.Read(parquet);

        // typed columns, as pandas/polars get them
        var trials = tables["trials.parquet"];
        Assert.Equal(("VARCHAR", "INTEGER", "INTEGER", "TIMESTAMP WITH TIME ZONE"),
            (trials.TypeOf("arm"), trials.TypeOf("seed"), trials.TypeOf("total_steps"), trials.TypeOf("finished_at")));
        var metrics = tables["metrics.parquet"];
        Assert.Equal(("VARCHAR", "INTEGER", "DOUBLE"), (metrics.TypeOf("name"), metrics.TypeOf("step"), metrics.TypeOf("value")));
        var evals = tables["evals.parquet"];
        Assert.Equal(("INTEGER", "DOUBLE"), (evals.TypeOf("k"), evals.TypeOf("value")));
        var problems = tables["eval_problems.parquet"];
        Assert.Equal(("BOOLEAN", "INTEGER", "DOUBLE"),
            (problems.TypeOf("pass1_correct"), problems.TypeOf("distinct_correct"), problems.TypeOf("semantic_similarity")));

        // trials: one row each, with arm, seed, status and steps as the API says
        Assert.Equal(done.Trials.Select(t => (t.TrialId, t.Arm, t.Seed, t.Status, t.TotalSteps)).Order(),
            trials.Rows.Select(r => (Str(r, "trial_id"), Str(r, "arm"), Int(r, "seed")!.Value, Str(r, "status"), Int(r, "total_steps")!.Value)).Order());

        // metrics: every stored (trial, name, step, value), exactly
        await using var database = DsdrDatabase.FromConnectionString(web.ConnectionString, migrate: false);
        await using var connection = await database.OpenConnectionAsync();
        var stored = (await connection.QueryAsync<(string, string, int, double)>(
            "SELECT trial_id, name, step, value FROM metrics WHERE trial_id = ANY(@ids)", new { ids = trialIds })).Order().ToList();
        Assert.NotEmpty(stored);
        Assert.Equal(stored, metrics.Rows.Select(r => (Str(r, "trial_id"), Str(r, "name"), Int(r, "step")!.Value, Real(r, "value")!.Value)).Order());

        // evals: every figure, k null where the store has none
        var evalRepository = new EvalRepository(database);
        var storedEvals = new List<EvalRow>();
        foreach (var id in trialIds) storedEvals.AddRange(await evalRepository.ListByTrialAsync(id));
        Assert.Contains(storedEvals, e => e.K is null);
        Assert.Equal(storedEvals.Select(e => (e.TrialId, e.Step, e.Benchmark, e.Metric, e.K, e.Value)).Order(),
            evals.Rows.Select(r => (Str(r, "trial_id"), Int(r, "step")!.Value, Str(r, "benchmark"), Str(r, "metric"), Int(r, "k"), Real(r, "value")!.Value)).Order());

        // eval_problems: every per-problem outcome
        var problemRepository = new EvalProblemRepository(database);
        var storedProblems = new List<TrialProblemRecord>();
        foreach (var id in trialIds) storedProblems.AddRange(await problemRepository.ListByTrialAsync(id));
        Assert.NotEmpty(storedProblems);
        Assert.Equal(storedProblems.Count, problems.Rows.Count);
        Assert.Equal(storedProblems.Count(p => p.Outcome.Pass1Correct), problems.Rows.Count(r => r.GetProperty("pass1_correct").GetBoolean()));
        Assert.Equal(storedProblems.Sum(p => p.Outcome.DistinctCorrect), problems.Rows.Sum(r => Int(r, "distinct_correct")!.Value));

        // CSV: the same rows; DuckDB's type detection finds numbers, booleans and timestamps, and the doubles round-trip
        var csv = DuckDbReader.Read(await ExtractAsync(client, "csv"));
        Assert.Equal(["eval_problems.csv", "evals.csv", "metrics.csv", "trials.csv"], csv.Keys.Order());
        Assert.Equal(("BIGINT", "DOUBLE"), (csv["metrics.csv"].TypeOf("step"), csv["metrics.csv"].TypeOf("value")));
        Assert.Equal("BOOLEAN", csv["eval_problems.csv"].TypeOf("pass1_correct"));
        Assert.StartsWith("TIMESTAMP", csv["trials.csv"].TypeOf("finished_at"));
        Assert.Equal(stored, csv["metrics.csv"].Rows.Select(r => (Str(r, "trial_id"), Str(r, "name"), (int)Long(r, "step"), Real(r, "value")!.Value)).Order());
        Assert.Equal(evals.Rows.Count, csv["evals.csv"].Rows.Count);
        Assert.Equal(problems.Rows.Count, csv["eval_problems.csv"].Rows.Count);
    }

    [Fact]
    public async Task Export_names_a_bad_format_and_an_unknown_sweep()
    {
        using var client = web.Client();
        var bad = await client.GetAsync("/api/sweeps/whatever/export?format=xlsx");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.ReadJsonAsync();
        Assert.Equal("format", problem.GetProperty("parameter").GetString());
        Assert.Contains("csv or format=parquet", problem.GetProperty("detail").GetString());

        var missing = await client.GetAsync("/api/sweeps/no-such-sweep/export?format=parquet");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("no-such-sweep", (await missing.ReadJsonAsync()).GetProperty("detail").GetString());
    }

    private async Task<string[]> ExtractAsync(HttpClient client, string format)
    {
        var response = await client.GetAsync($"/api/sweeps/export-all/export?format={format}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        var target = Path.Combine(_folder, format);
        await using (var body = await response.Content.ReadAsStreamAsync())
            await ZipFile.ExtractToDirectoryAsync(body, target);
        return Directory.GetFiles(target);
    }

    private static string Str(JsonElement row, string column) => row.GetProperty(column).GetString()!;

    private static int? Int(JsonElement row, string column) =>
        row.GetProperty(column) is { ValueKind: JsonValueKind.Number } v ? v.GetInt32() : null;

    // DuckDB's JSON writes BIGINT as a string
    private static long Long(JsonElement row, string column) => row.GetProperty(column) is { ValueKind: JsonValueKind.String } v
        ? long.Parse(v.GetString()!, CultureInfo.InvariantCulture)
        : row.GetProperty(column).GetInt64();

    private static double? Real(JsonElement row, string column) =>
        row.GetProperty(column) is { ValueKind: JsonValueKind.Number } v ? v.GetDouble() : null;
}
