using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Results;

/// <summary>
/// Mean, sample standard deviation (N − 1; null when n &lt; 2) and n over seeds; with statistics (docs/STATISTICS.md) the
/// bootstrap's 95 % interval (<see cref="CiLow"/>, <see cref="CiHigh"/>; null where nothing varies) and, on a row other
/// than the reference, the paired difference against it (<see cref="Delta"/>).
/// </summary>
public sealed record ResultCell(double Mean, double? Std, int N)
{
    public double? CiLow { get; init; }
    public double? CiHigh { get; init; }
    public ResultDelta? Delta { get; init; }
}

/// <summary>This cell minus the reference row's, paired by seed over the same problem draws: mean, interval, two-sided p, p &lt; α.</summary>
public sealed record ResultDelta(string Reference, double Mean, double? CiLow, double? CiHigh, double? P, bool Significant);

/// <summary>How a table's intervals and differences were computed.</summary>
/// <param name="Reference">The reference row's label; null when the sweep has no such row (no differences then).</param>
/// <param name="ProblemLevel">Whether per-problem outcomes were resampled (false: only seeds, the stored figures had no rows).</param>
public sealed record ResultStatisticsSummary(string? Reference, int Replicates, ulong Seed, double Level, bool ProblemLevel)
{
    public const string Method = "bootstrap over problems (shared by all rows) and seeds (paired by seed for differences), percentile intervals; docs/STATISTICS.md";
}

/// <summary>A column: a benchmark (or <see cref="ResultColumn.AverageBenchmark"/>) and a metric.</summary>
public sealed record ResultColumn(string Benchmark, MetricKey Metric)
{
    /// <summary>Name of the across-benchmarks column, as in the paper's Table 1.</summary>
    public const string AverageBenchmark = "Avg";

    public bool IsAverage => Benchmark == AverageBenchmark;
    public string Label => $"{Benchmark} {Metric.Label}";
}

/// <summary>A row: its label (arm plus grid point), its arm, one cell per column (null where no trial reported).</summary>
public sealed record ResultRow(string Row, string Arm, IReadOnlyList<ResultCell?> Cells);

/// <summary>
/// Rows × columns of mean ± std over seeds (with intervals and differences when <see cref="Statistics"/> is set). As JSON it
/// is always the results API's document (<see cref="ResultTableRenderer.ToJson"/>), also inside other documents.
/// </summary>
[System.Text.Json.Serialization.JsonConverter(typeof(ResultTableJsonConverter))]
public sealed record ResultTable(IReadOnlyList<ResultColumn> Columns, IReadOnlyList<ResultRow> Rows)
{
    public ResultStatisticsSummary? Statistics { get; init; }

    /// <summary>Why rows are missing or short of seeds: the sweep's trials that gave no figure, by row, status and cause.</summary>
    public IReadOnlyList<MissingResult> Missing { get; init; } = [];

    /// <summary>Row label of the SFT backbone row (step-0 evaluations).</summary>
    public const string BackboneRow = "Backbone";
    public const string BackboneArm = "backbone";

    public ResultCell? this[string row, ResultColumn column] =>
        Rows.FirstOrDefault(r => r.Row == row)?.Cells[IndexOf(column)];

    private int IndexOf(ResultColumn column)
    {
        for (var i = 0; i < Columns.Count; i++) if (Columns[i] == column) return i;
        throw new ArgumentException($"no column \"{column.Label}\" in this table", nameof(column));
    }

    /// <summary>Indices of the rows whose mean is best in the column (ties all count); empty when the column has no cell.</summary>
    public IReadOnlyList<int> BestRows(int column, Func<double, double>? rounding = null)
    {
        var round = rounding ?? (x => x);
        var lower = Columns[column].Metric.LowerIsBetter;
        var means = Rows.Select((r, i) => (i, cell: r.Cells[column])).Where(x => x.cell is not null)
            .Select(x => (x.i, mean: round(x.cell!.Mean))).ToList();
        if (means.Count == 0) return [];
        var best = lower ? means.Min(x => x.mean) : means.Max(x => x.mean);
        return means.Where(x => x.mean == best).Select(x => x.i).ToList();
    }
}

/// <summary>
/// What goes into a table. Null lists mean "everything present": metrics in <see cref="MetricKey"/> order,
/// benchmarks in ordinal order, arms in <see cref="ArmPresets.Names"/> order then by name, rows of one arm by label
/// (ordinal), so the table does not depend on the order records arrive in. <see cref="Step"/> null takes each trial's latest evaluation after step 0.
/// </summary>
public sealed record ResultTableOptions
{
    public IReadOnlyList<MetricKey>? Metrics { get; init; }
    public IReadOnlyList<string>? Benchmarks { get; init; }
    /// <summary>Row labels in the order to show them (e.g. the sweep's expansion order); rows not listed follow.</summary>
    public IReadOnlyList<string>? Rows { get; init; }
    /// <summary>Arm order (e.g. the spec's arms); arms not listed follow.</summary>
    public IReadOnlyList<string>? Arms { get; init; }
    /// <summary>Evaluation step to tabulate; null = each trial's latest step &gt; 0.</summary>
    public int? Step { get; init; }
    /// <summary>Add the across-benchmarks "Avg" column per metric when there are at least two benchmarks.</summary>
    public bool IncludeAverage { get; init; } = true;
    /// <summary>Add a first "Backbone" row from the step-0 evaluations (the SFT model before RL), averaged per seed.</summary>
    public bool IncludeBackbone { get; init; }
    /// <summary>Intervals and differences against a reference row (null: none, the table is means ± std only).</summary>
    public ResultStatisticsOptions? Statistics { get; init; }

    /// <summary>Rows and arms ordered as a sweep expanded them.</summary>
    public static ResultTableOptions ForTrials(IEnumerable<TrialSpec> trials)
    {
        var list = trials.ToList();
        return new()
        {
            Rows = list.Select(t => t.Row).Distinct().ToList(),
            Arms = list.Select(t => t.Arm).Distinct().ToList(),
        };
    }
}

/// <summary>How a table gets its intervals and differences (docs/STATISTICS.md).</summary>
public sealed record ResultStatisticsOptions
{
    public const string DefaultReference = "grpo";

    public Statistics.BootstrapOptions Bootstrap { get; init; } = Statistics.BootstrapOptions.Default;
    /// <summary>The reference: a row label, an arm with a single row, or "backbone".</summary>
    public string Reference { get; init; } = DefaultReference;
    /// <summary>true: a reference that names no row is an error (<see cref="UnknownReferenceException"/>); false: no differences then.</summary>
    public bool ReferenceRequired { get; init; }
}

/// <summary>The reference named no row of the table (or an arm with several rows).</summary>
public sealed class UnknownReferenceException(string reference, string reason) : ArgumentException($"reference \"{reference}\" {reason}")
{
    public string Reference { get; } = reference;
}

/// <summary>Serialises a <see cref="ResultTable"/> as the results API's JSON document and reads it back.</summary>
public sealed class ResultTableJsonConverter : System.Text.Json.Serialization.JsonConverter<ResultTable>
{
    public override ResultTable Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
    {
        using var document = System.Text.Json.JsonDocument.ParseValue(ref reader);
        return ResultTableRenderer.FromJson(document.RootElement);
    }

    public override void Write(System.Text.Json.Utf8JsonWriter writer, ResultTable value, System.Text.Json.JsonSerializerOptions options) =>
        ResultTableRenderer.WriteJson(writer, value);
}
