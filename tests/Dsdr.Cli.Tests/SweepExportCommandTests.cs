using System.Text.Json;
using Dsdr.Tests.Export;

namespace Dsdr.Cli.Tests;

/// <summary>dsdr sweep export against a real platform (simulated runner) over HTTP; the files are read back by DuckDB.</summary>
[Collection(PlatformCollection.Name)]
public sealed class SweepExportCommandTests(PlatformFixture platform) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("dsdr-export-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private CliRunner.Result Sweep(string stdin, params string[] args) =>
        CliRunner.RunWithInput(stdin, ["sweep", .. args, "--api", platform.Url]);

    [Fact]
    public async Task ExportWritesTypedParquetAndCsvFilesAndTheCoverageLedgerAgreesWithThem()
    {
        var spec = File.ReadAllText(RepoPaths.Example("countdown-ablation.json"))
            .Replace("\"countdown-ablation\"", "\"cli-export\"", StringComparison.Ordinal)
            .Replace("\"totalSteps\": 150", "\"totalSteps\": 50", StringComparison.Ordinal);
        Assert.Equal(0, Sweep(spec, "submit", "-", "--api-key", platform.ApiKey).Exit);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!Sweep("", "status", "cli-export").Output.Contains(": completed"))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("sweep cli-export did not complete");
            await Task.Delay(250);
        }

        var parquetDir = Path.Combine(_folder, "parquet", "nested"); // --out is created when missing
        var parquet = Sweep("", "export", "cli-export", "--format", "parquet", "--out", parquetDir);
        Assert.True(parquet.Exit == 0, parquet.Error);
        var names = new[] { "eval_problems", "evals", "metrics", "trials" };
        Assert.Equal(names.Select(n => n + ".parquet"), Directory.GetFiles(parquetDir).Select(Path.GetFileName).Order());
        foreach (var n in names) Assert.Contains(Path.Combine(parquetDir, n + ".parquet"), parquet.Output);

        var csvDir = Path.Combine(_folder, "csv");
        var csv = Sweep("", "export", "cli-export", "--out", csvDir); // csv is the default
        Assert.True(csv.Exit == 0, csv.Error);
        Assert.Equal(names.Select(n => n + ".csv"), Directory.GetFiles(csvDir).Select(Path.GetFileName).Order());

        var read = DuckDbReader.Read([.. Directory.GetFiles(parquetDir), .. Directory.GetFiles(csvDir)]);
        var trials = read["trials.parquet"];
        Assert.Equal(5, trials.Rows.Count); // five arms, one seed
        Assert.Equal(["dapo", "dsdr", "dsdr-no-gc", "dsdr-no-gd", "grpo"], trials.Rows.Select(r => r.GetProperty("arm").GetString()).Order());
        Assert.All(trials.Rows, r => Assert.Equal("completed", r.GetProperty("status").GetString()));
        Assert.Equal(("INTEGER", "DOUBLE"), (read["metrics.parquet"].TypeOf("step"), read["metrics.parquet"].TypeOf("value")));

        // both formats carry the same metric rows, to the last bit
        static IEnumerable<(string, string, long, double)> Metrics(DuckDbReader.Table table) => table.Rows.Select(r => (
            r.GetProperty("trial_id").GetString()!, r.GetProperty("name").GetString()!,
            r.GetProperty("step") is { ValueKind: JsonValueKind.String } s ? long.Parse(s.GetString()!) : r.GetProperty("step").GetInt64(),
            r.GetProperty("value").GetDouble()));
        Assert.NotEmpty(read["metrics.parquet"].Rows);
        Assert.Equal(Metrics(read["metrics.parquet"]), Metrics(read["metrics.csv"]));
        Assert.Equal(read["evals.parquet"].Rows.Count, read["evals.csv"].Rows.Count);
        Assert.Equal(read["eval_problems.parquet"].Rows.Count, read["eval_problems.csv"].Rows.Count);
        Assert.NotEmpty(read["eval_problems.parquet"].Rows);

        // dsdr sweep coverage: the ledger agrees with the exported per-problem outcomes at each trial's last step
        var coverage = Sweep("", "coverage", "cli-export", "--json");
        Assert.True(coverage.Exit == 0, coverage.Error);
        var ledger = JsonDocument.Parse(coverage.Output).RootElement;
        var rowOf = trials.Rows.ToDictionary(r => r.GetProperty("trial_id").GetString()!, r => r.GetProperty("row").GetString()!);
        var outcomes = read["eval_problems.parquet"].Rows.Select(r => (
            Trial: r.GetProperty("trial_id").GetString()!, Step: r.GetProperty("step").GetInt32(),
            Problem: $"{r.GetProperty("benchmark").GetString()}/{r.GetProperty("problem_id").GetString()}",
            Solved: r.GetProperty("pass1_correct").GetBoolean() || r.GetProperty("avg_correct").GetInt32() > 0 || r.GetProperty("passk_correct").GetInt32() > 0)).ToList();
        var final = outcomes.Where(o => o.Step == outcomes.Where(x => x.Trial == o.Trial).Max(x => x.Step)).ToList();
        var solvedBy = final.Where(o => o.Solved).Select(o => (Row: rowOf[o.Trial], o.Problem)).ToHashSet();
        foreach (var pair in ledger.GetProperty("pairs").EnumerateArray())
        {
            var (a, b) = (pair.GetProperty("a").GetString()!, pair.GetProperty("b").GetString()!);
            var expected = final.Select(o => o.Problem).Distinct().Where(p => solvedBy.Contains((a, p)) && !solvedBy.Contains((b, p))).Order(StringComparer.Ordinal);
            Assert.Equal(expected, pair.GetProperty("problems").EnumerateArray().Select(e => e.GetString()));
        }
        Assert.Equal(20, ledger.GetProperty("pairs").GetArrayLength()); // 5 rows: 5 × 4 ordered pairs

        var table = Sweep("", "coverage", "cli-export");
        Assert.True(table.Exit == 0, table.Error);
        Assert.Contains("solved only by A", table.Output);
        Assert.Contains("per problem: seeds that solved it", table.Output);
        Assert.Contains("dsdr-no-gd", table.Output);
    }

    [Fact]
    public void ExportAndCoverageNameAnUnknownSweepAndABadFormat()
    {
        var missing = Sweep("", "export", "no-such-sweep", "--out", _folder);
        Assert.Equal(2, missing.Exit);
        Assert.Equal("dsdr: There is no sweep 'no-such-sweep'.", missing.Error.Trim());
        Assert.Empty(Directory.GetFileSystemEntries(_folder));

        var coverage = Sweep("", "coverage", "no-such-sweep");
        Assert.Equal(2, coverage.Exit);
        Assert.Equal("dsdr: There is no sweep 'no-such-sweep'.", coverage.Error.Trim());

        var format = Sweep("", "export", "no-such-sweep", "--format", "xlsx", "--out", _folder);
        Assert.NotEqual(0, format.Exit);
        Assert.Contains("xlsx", format.Error);
        Assert.Contains("parquet", format.Error); // "Must be one of: 'csv' 'parquet'"
    }
}
