using System.Globalization;
using System.IO.Compression;
using System.Text;
using Dsdr.Storage.Repositories;
using Parquet;
using Parquet.Schema;

namespace Dsdr.Web.Services;

/// <summary>
/// A sweep's export: trials, step metrics, evaluation figures and per-problem evaluation outcomes, one file each
/// (trials, metrics, evals, eval_problems) as CSV or Parquet, zipped into one download. Every column has one type
/// (text, int32, float64, boolean, UTC timestamp), nullable where the table is; CSV writes null as an empty field,
/// numbers in invariant culture with round-trip precision, timestamps as ISO 8601 with Z.
/// </summary>
public sealed class SweepExporter(SweepRepository sweeps, SweepExportRepository rows)
{
    public static readonly IReadOnlyList<string> Formats = ["csv", "parquet"];

    /// <summary>The file names inside the zip, without extension, in the order they are written.</summary>
    public static readonly IReadOnlyList<string> Tables = ["trials", "metrics", "evals", "eval_problems"];

    /// <summary>Writes the sweep's zip to <paramref name="output"/>; false (nothing written) when there is no such sweep.</summary>
    public async Task<bool> WriteZipAsync(string sweepId, string format, Stream output, CancellationToken cancellationToken = default)
    {
        if (!Formats.Contains(format)) throw new ArgumentException($"\"{format}\" is not an export format; use csv or parquet.", nameof(format));
        if (await sweeps.GetAsync(sweepId, cancellationToken) is null) return false;
        var files = new (string Name, Func<Stream, Task> Write)[]
        {
            ("trials", async s => await WriteAsync(TrialColumns, await rows.TrialsAsync(sweepId, cancellationToken), format, s, cancellationToken)),
            ("metrics", async s => await WriteAsync(MetricColumns, await rows.MetricsAsync(sweepId, cancellationToken), format, s, cancellationToken)),
            ("evals", async s => await WriteAsync(EvalColumns, await rows.EvalsAsync(sweepId, cancellationToken), format, s, cancellationToken)),
            ("eval_problems", async s => await WriteAsync(EvalProblemColumns, await rows.EvalProblemsAsync(sweepId, cancellationToken), format, s, cancellationToken)),
        };
        // ZipArchive writes synchronously to its stream: build it in memory, then copy (ASP.NET Core refuses synchronous body writes)
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, write) in files)
            {
                // each file is written to memory first: Parquet seeks back to its footer, a zip entry stream cannot
                using var file = new MemoryStream();
                await write(file);
                var entry = zip.CreateEntry($"{name}.{format}", format == "csv" ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
                entry.LastWriteTime = new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero); // fixed: the same data gives the same bytes
                await using var target = await entry.OpenAsync(cancellationToken);
                file.Position = 0;
                await file.CopyToAsync(target, cancellationToken);
            }
        buffer.Position = 0;
        await buffer.CopyToAsync(output, cancellationToken);
        return true;
    }

    internal static Task WriteAsync<T>(IReadOnlyList<ExportColumn<T>> columns, IReadOnlyList<T> items, string format, Stream output,
        CancellationToken cancellationToken) =>
        format == "csv" ? WriteCsvAsync(columns, items, output, cancellationToken) : WriteParquetAsync(columns, items, output, cancellationToken);

    // ---- the tables' columns ----

    internal static readonly IReadOnlyList<ExportColumn<ExportTrial>> TrialColumns =
    [
        .. TrialKeyColumns<ExportTrial>(t => (t.TrialId, t.Arm, t.Row, t.Seed)),
        ExportColumn<ExportTrial>.Text("status", t => t.Status),
        ExportColumn<ExportTrial>.Int("attempts", t => t.Attempts),
        ExportColumn<ExportTrial>.Int("last_step", t => t.LastStep),
        ExportColumn<ExportTrial>.Int("total_steps", t => t.TotalSteps),
        ExportColumn<ExportTrial>.Int("checkpoint_step", t => t.CheckpointStep),
        ExportColumn<ExportTrial>.Text("checkpoint_path", t => t.CheckpointPath),
        ExportColumn<ExportTrial>.Text("error", t => t.Error),
        ExportColumn<ExportTrial>.Time("created_at", t => t.CreatedAt),
        ExportColumn<ExportTrial>.Time("started_at", t => t.StartedAt),
        ExportColumn<ExportTrial>.Time("finished_at", t => t.FinishedAt),
        ExportColumn<ExportTrial>.Text("config", t => t.Config),
    ];

    internal static readonly IReadOnlyList<ExportColumn<ExportMetric>> MetricColumns =
    [
        .. TrialKeyColumns<ExportMetric>(m => (m.TrialId, m.Arm, m.Row, m.Seed)),
        ExportColumn<ExportMetric>.Text("name", m => m.Name),
        ExportColumn<ExportMetric>.Int("step", m => m.Step),
        ExportColumn<ExportMetric>.Real("value", m => m.Value),
    ];

    internal static readonly IReadOnlyList<ExportColumn<ExportEval>> EvalColumns =
    [
        .. TrialKeyColumns<ExportEval>(e => (e.TrialId, e.Arm, e.Row, e.Seed)),
        ExportColumn<ExportEval>.Int("step", e => e.Step),
        ExportColumn<ExportEval>.Text("benchmark", e => e.Benchmark),
        ExportColumn<ExportEval>.Text("metric", e => e.Metric),
        ExportColumn<ExportEval>.Int("k", e => e.K),
        ExportColumn<ExportEval>.Real("value", e => e.Value),
    ];

    internal static readonly IReadOnlyList<ExportColumn<ExportEvalProblem>> EvalProblemColumns =
    [
        .. TrialKeyColumns<ExportEvalProblem>(p => (p.TrialId, p.Arm, p.Row, p.Seed)),
        ExportColumn<ExportEvalProblem>.Int("step", p => p.Step),
        ExportColumn<ExportEvalProblem>.Text("benchmark", p => p.Benchmark),
        ExportColumn<ExportEvalProblem>.Text("problem_id", p => p.ProblemId),
        ExportColumn<ExportEvalProblem>.Bool("pass1_correct", p => p.Pass1Correct),
        ExportColumn<ExportEvalProblem>.Int("avg_samples", p => p.AvgSamples),
        ExportColumn<ExportEvalProblem>.Int("avg_correct", p => p.AvgCorrect),
        ExportColumn<ExportEvalProblem>.Int("passk_samples", p => p.PassKSamples),
        ExportColumn<ExportEvalProblem>.Int("passk_correct", p => p.PassKCorrect),
        ExportColumn<ExportEvalProblem>.Int("distinct_correct", p => p.DistinctCorrect),
        ExportColumn<ExportEvalProblem>.Int("existing_solutions", p => p.ExistingSolutions),
        ExportColumn<ExportEvalProblem>.Real("semantic_similarity", p => p.SemanticSimilarity),
        ExportColumn<ExportEvalProblem>.Real("formula_similarity", p => p.FormulaSimilarity),
        ExportColumn<ExportEvalProblem>.Int("diversity_samples", p => p.DiversitySamples),
        ExportColumn<ExportEvalProblem>.Int("diversity_correct", p => p.DiversityCorrect),
        ExportColumn<ExportEvalProblem>.Int("diversity_distinct", p => p.DiversityDistinct),
        ExportColumn<ExportEvalProblem>.Real("diversity_semantic_similarity", p => p.DiversitySemanticSimilarity),
        ExportColumn<ExportEvalProblem>.Real("diversity_formula_similarity", p => p.DiversityFormulaSimilarity),
    ];

    private static ExportColumn<T>[] TrialKeyColumns<T>(Func<T, (string TrialId, string Arm, string Row, int Seed)> key) =>
    [
        ExportColumn<T>.Text("trial_id", x => key(x).TrialId, nullable: false),
        ExportColumn<T>.Text("arm", x => key(x).Arm, nullable: false),
        ExportColumn<T>.Text("row", x => key(x).Row, nullable: false),
        ExportColumn<T>.Int("seed", x => key(x).Seed),
    ];

    // ---- writers ----

    private static async Task WriteCsvAsync<T>(IReadOnlyList<ExportColumn<T>> columns, IReadOnlyList<T> items, Stream output, CancellationToken cancellationToken)
    {
        await using var writer = new StreamWriter(output, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        await writer.WriteLineAsync(string.Join(',', columns.Select(c => c.Name)));
        var line = new StringBuilder();
        foreach (var item in items)
        {
            line.Clear();
            for (var i = 0; i < columns.Count; i++)
            {
                if (i > 0) line.Append(',');
                line.Append(CsvField(columns[i].Format(item)));
            }
            await writer.WriteLineAsync(line, cancellationToken);
        }
    }

    /// <summary>RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.</summary>
    internal static string CsvField(string? text) =>
        text is null ? "" : text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;

    private static async Task WriteParquetAsync<T>(IReadOnlyList<ExportColumn<T>> columns, IReadOnlyList<T> items, Stream output, CancellationToken cancellationToken)
    {
        var fields = columns.Select(c => c.Field).ToArray();
        await using var writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), output,
            new ParquetOptions { CompressionMethod = CompressionMethod.Snappy }, cancellationToken: cancellationToken);
        const int rowGroupSize = 100_000;
        for (var start = 0; start == 0 || start < items.Count; start += rowGroupSize)
        {
            var slice = items.Skip(start).Take(rowGroupSize).ToList();
            using var group = writer.CreateRowGroup();
            for (var i = 0; i < columns.Count; i++) await columns[i].WriteAsync(group, slice, cancellationToken);
        }
    }
}

/// <summary>One typed column of an export table: its name, its Parquet field, its CSV text and how to write a row group of it.</summary>
internal sealed class ExportColumn<T>
{
    private readonly Func<T, string?> _format;
    private readonly Func<ParquetRowGroupWriter, DataField, IReadOnlyList<T>, CancellationToken, Task> _write;

    private ExportColumn(string name, DataField field, Func<T, string?> format, Func<ParquetRowGroupWriter, DataField, IReadOnlyList<T>, CancellationToken, Task> write)
    {
        Name = name;
        Field = field;
        _format = format;
        _write = write;
    }

    public string Name { get; }
    public DataField Field { get; }
    public string? Format(T item) => _format(item);
    public Task WriteAsync(ParquetRowGroupWriter group, IReadOnlyList<T> items, CancellationToken cancellationToken) => _write(group, Field, items, cancellationToken);

    public static ExportColumn<T> Text(string name, Func<T, string?> value, bool nullable = true) =>
        new(name, new DataField<string>(name, nullable), value,
            (g, f, items, _) => g.WriteAsync(f, (IReadOnlyCollection<string>)items.Select(value).ToArray()!));

    public static ExportColumn<T> Int(string name, Func<T, int> value) =>
        new(name, new DataField<int>(name, false), x => value(x).ToString(CultureInfo.InvariantCulture),
            (g, f, items, ct) => g.WriteAsync<int>(f, items.Select(value).ToArray().AsMemory(), null, null, ct));

    public static ExportColumn<T> Int(string name, Func<T, int?> value) =>
        new(name, new DataField<int?>(name, true), x => value(x)?.ToString(CultureInfo.InvariantCulture),
            (g, f, items, ct) => g.WriteAsync<int>(f, items.Select(value).ToArray().AsMemory(), null, null, ct));

    public static ExportColumn<T> Real(string name, Func<T, double> value) =>
        new(name, new DataField<double>(name, false), x => value(x).ToString("R", CultureInfo.InvariantCulture),
            (g, f, items, ct) => g.WriteAsync<double>(f, items.Select(value).ToArray().AsMemory(), null, null, ct));

    public static ExportColumn<T> Real(string name, Func<T, double?> value) =>
        new(name, new DataField<double?>(name, true), x => value(x)?.ToString("R", CultureInfo.InvariantCulture),
            (g, f, items, ct) => g.WriteAsync<double>(f, items.Select(value).ToArray().AsMemory(), null, null, ct));

    public static ExportColumn<T> Bool(string name, Func<T, bool> value) =>
        new(name, new DataField<bool>(name, false), x => value(x) ? "true" : "false",
            (g, f, items, ct) => g.WriteAsync<bool>(f, items.Select(value).ToArray().AsMemory(), null, null, ct));

    /// <summary>A UTC timestamp (microseconds); PostgreSQL's timestamptz comes back as UTC DateTime.</summary>
    public static ExportColumn<T> Time(string name, Func<T, DateTime?> value) =>
        new(name, new DateTimeDataField(name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: true),
            x => value(x) is { } t ? DateTime.SpecifyKind(t, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture) : null,
            (g, f, items, ct) => g.WriteAsync<DateTime>(f, items.Select(x => value(x) is { } t ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : (DateTime?)null).ToArray().AsMemory(), null, null, ct));
}
