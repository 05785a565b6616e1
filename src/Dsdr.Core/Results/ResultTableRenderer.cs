using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Dsdr.Core.Results;

/// <summary>How figures are shown in Markdown and LaTeX: rates (<see cref="MetricKey.IsRate"/>) ×100 when <see cref="Percent"/>.</summary>
public sealed record ResultFormat(int Decimals = 1, bool Percent = true)
{
    public static ResultFormat Default { get; } = new();
}

/// <summary>The four renderings of a result table. JSON and CSV carry raw values; Markdown and LaTeX formatted ones.</summary>
public static class ResultTableRenderer
{
    /// <summary>Names the API's ?format= accepts.</summary>
    public static IReadOnlyList<string> Formats { get; } = ["json", "csv", "markdown", "latex"];

    /// <summary>Renders by format name (json, csv, markdown, latex); an unknown name throws listing them.</summary>
    public static string Render(ResultTable table, string format, ResultFormat? display = null) => format switch
    {
        "json" => ToJson(table),
        "csv" => ToCsv(table),
        "markdown" or "md" => ToMarkdown(table, display),
        "latex" or "tex" => ToLatex(table, display),
        _ => throw new ArgumentException($"unknown result format \"{format}\"; use one of {string.Join(", ", Formats)}", nameof(format)),
    };

    /// <summary>
    /// {"columns":[{benchmark, metric, k, label}], "rows":[{row, arm, cells:[{mean, std, n, ciLow, ciHigh, delta?} | null]}],
    /// "statistics": {reference, replicates, seed, level, problemLevel, method} | null}; delta = {reference, mean, ciLow, ciHigh, p,
    /// significant} on the cells of rows other than the reference.
    /// </summary>
    public static string ToJson(ResultTable table, bool indented = false)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            WriteJson(w, table);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The <see cref="ToJson"/> document written to <paramref name="w"/> (a table inside a larger document, e.g. the sweep report).</summary>
    public static void WriteJson(Utf8JsonWriter w, ResultTable table)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(table);
        w.WriteStartObject();
        w.WriteStartArray("columns");
        foreach (var c in table.Columns)
        {
            w.WriteStartObject();
            w.WriteString("benchmark", c.Benchmark);
            w.WriteString("metric", c.Metric.Metric);
            if (c.Metric.K is { } k) w.WriteNumber("k", k); else w.WriteNull("k");
            w.WriteString("label", c.Label);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("rows");
        foreach (var r in table.Rows)
        {
            w.WriteStartObject();
            w.WriteString("row", r.Row);
            w.WriteString("arm", r.Arm);
            w.WriteStartArray("cells");
            foreach (var cell in r.Cells)
            {
                if (cell is null) { w.WriteNullValue(); continue; }
                w.WriteStartObject();
                w.WriteNumber("mean", cell.Mean);
                if (cell.Std is { } s) w.WriteNumber("std", s); else w.WriteNull("std");
                w.WriteNumber("n", cell.N);
                NumberOrNull(w, "ciLow", cell.CiLow);
                NumberOrNull(w, "ciHigh", cell.CiHigh);
                if (cell.Delta is { } d)
                {
                    w.WriteStartObject("delta");
                    w.WriteString("reference", d.Reference);
                    w.WriteNumber("mean", d.Mean);
                    NumberOrNull(w, "ciLow", d.CiLow);
                    NumberOrNull(w, "ciHigh", d.CiHigh);
                    NumberOrNull(w, "p", d.P);
                    w.WriteBoolean("significant", d.Significant);
                    w.WriteEndObject();
                }
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (table.Statistics is { } st)
        {
            w.WriteStartObject("statistics");
            if (st.Reference is { } reference) w.WriteString("reference", reference); else w.WriteNull("reference");
            w.WriteNumber("replicates", st.Replicates);
            w.WriteNumber("seed", st.Seed);
            w.WriteNumber("level", st.Level);
            w.WriteBoolean("problemLevel", st.ProblemLevel);
            w.WriteString("method", ResultStatisticsSummary.Method);
            w.WriteEndObject();
        }
        else w.WriteNull("statistics");
        if (table.Missing.Count > 0) w.WriteStartArray("missing"); // absent when every trial gave figures
        foreach (var m in table.Missing)
        {
            w.WriteStartObject();
            w.WriteString("row", m.Row);
            w.WriteNumber("trials", m.Trials);
            w.WriteString("status", m.Status);
            if (m.Cause is { } cause) w.WriteString("cause", cause); else w.WriteNull("cause");
            w.WriteString("text", m.Text);
            w.WriteEndObject();
        }
        if (table.Missing.Count > 0) w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>
    /// Reads a <see cref="ToJson"/> document back (what a client of the results API gets); a document that is not one
    /// throws <see cref="JsonException"/> naming the missing or wrong part.
    /// </summary>
    public static ResultTable FromJson(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new JsonException("A result table is a JSON object with \"columns\" and \"rows\".");
        var columns = Array(root, "columns").Select(c => new ResultColumn(String(c, "benchmark"),
            new MetricKey(String(c, "metric"), c.TryGetProperty("k", out var k) && k.ValueKind == JsonValueKind.Number ? k.GetInt32() : null))).ToList();
        var rows = Array(root, "rows").Select(r =>
        {
            var cells = Array(r, "cells").Select(ReadCell).ToList();
            if (cells.Count != columns.Count) throw new JsonException($"Row \"{String(r, "row")}\" has {cells.Count} cells for {columns.Count} columns.");
            return new ResultRow(String(r, "row"), String(r, "arm"), cells);
        }).ToList();
        ResultStatisticsSummary? statistics = null;
        if (root.TryGetProperty("statistics", out var st) && st.ValueKind == JsonValueKind.Object)
            statistics = new ResultStatisticsSummary(NullableString(st, "reference"), Number(st, "replicates").GetInt32(), Number(st, "seed").GetUInt64(),
                Number(st, "level").GetDouble(), st.TryGetProperty("problemLevel", out var pl) && pl.ValueKind == JsonValueKind.True);
        IReadOnlyList<MissingResult> missing = root.TryGetProperty("missing", out var ms) && ms.ValueKind == JsonValueKind.Array && ms.GetArrayLength() > 0
            ? [.. ms.EnumerateArray().Select(m => new MissingResult(String(m, "row"), Number(m, "trials").GetInt32(), String(m, "status"), NullableString(m, "cause")))]
            : [];
        return new ResultTable(columns, rows) { Statistics = statistics, Missing = missing };
    }

    private static ResultCell? ReadCell(JsonElement c)
    {
        if (c.ValueKind == JsonValueKind.Null) return null;
        var cell = new ResultCell(Number(c, "mean").GetDouble(), NullableNumber(c, "std"), Number(c, "n").GetInt32())
        {
            CiLow = NullableNumber(c, "ciLow"),
            CiHigh = NullableNumber(c, "ciHigh"),
        };
        if (!c.TryGetProperty("delta", out var d) || d.ValueKind != JsonValueKind.Object) return cell;
        return cell with
        {
            Delta = new ResultDelta(String(d, "reference"), Number(d, "mean").GetDouble(), NullableNumber(d, "ciLow"), NullableNumber(d, "ciHigh"),
                NullableNumber(d, "p"), d.TryGetProperty("significant", out var s) && s.ValueKind == JsonValueKind.True),
        };
    }

    private static IEnumerable<JsonElement> Array(JsonElement e, string name) =>
        e.TryGetProperty(name, out var a) && a.ValueKind == JsonValueKind.Array ? a.EnumerateArray() : throw new JsonException($"A result table needs the array \"{name}\".");

    private static JsonElement Number(JsonElement e, string name) =>
        e.TryGetProperty(name, out var n) && n.ValueKind == JsonValueKind.Number ? n : throw new JsonException($"A result table needs the number \"{name}\".");

    private static double? NullableNumber(JsonElement e, string name) =>
        e.TryGetProperty(name, out var n) && n.ValueKind == JsonValueKind.Number ? n.GetDouble() : null;

    private static string String(JsonElement e, string name) =>
        NullableString(e, name) ?? throw new JsonException($"A result table needs the string \"{name}\".");

    private static string? NullableString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;

    private static void NumberOrNull(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v) w.WriteNumber(name, v); else w.WriteNull(name);
    }

    /// <summary>
    /// Tidy CSV (RFC 4180): row,arm,benchmark,metric,k,mean,std,n — one line per non-empty cell, raw values; with statistics also
    /// ci_low,ci_high,delta_reference,delta_mean,delta_ci_low,delta_ci_high,delta_p,delta_significant (empty where none).
    /// </summary>
    public static string ToCsv(ResultTable table)
    {
        var withStatistics = table.Statistics is not null;
        var sb = new StringBuilder("row,arm,benchmark,metric,k,mean,std,n");
        if (withStatistics) sb.Append(",ci_low,ci_high,delta_reference,delta_mean,delta_ci_low,delta_ci_high,delta_p,delta_significant");
        sb.Append("\r\n");
        foreach (var r in table.Rows)
            for (var i = 0; i < table.Columns.Count; i++)
            {
                if (r.Cells[i] is not { } cell) continue;
                var c = table.Columns[i];
                sb.Append(Csv(r.Row)).Append(',').Append(Csv(r.Arm)).Append(',').Append(Csv(c.Benchmark)).Append(',')
                  .Append(Csv(c.Metric.Metric)).Append(',').Append(c.Metric.K?.ToString(CultureInfo.InvariantCulture)).Append(',')
                  .Append(Raw(cell.Mean)).Append(',').Append(cell.Std is { } s ? Raw(s) : "").Append(',')
                  .Append(cell.N.ToString(CultureInfo.InvariantCulture));
                if (withStatistics)
                {
                    var d = cell.Delta;
                    sb.Append(',').Append(RawOrEmpty(cell.CiLow)).Append(',').Append(RawOrEmpty(cell.CiHigh)).Append(',')
                      .Append(d is null ? "" : Csv(d.Reference)).Append(',').Append(RawOrEmpty(d?.Mean)).Append(',').Append(RawOrEmpty(d?.CiLow)).Append(',')
                      .Append(RawOrEmpty(d?.CiHigh)).Append(',').Append(RawOrEmpty(d?.P)).Append(',').Append(d is null ? "" : d.Significant ? "true" : "false");
                }
                sb.Append("\r\n");
            }
        return sb.ToString();
    }

    /// <summary>
    /// A GitHub Markdown table: "mean ± std" (just the mean when n = 1), best mean per column in bold, "–" where empty. With
    /// statistics each metric column is followed by its "95 % CI" column ("[low, high]") and, when there is a reference row,
    /// a "Δ vs REF" column ("+Δ [low, high]", "*" when p &lt; α, "ref" on the reference row), and a legend line follows.
    /// </summary>
    public static string ToMarkdown(ResultTable table, ResultFormat? display = null)
    {
        display ??= ResultFormat.Default;
        var layout = Layout(table);
        var sb = new StringBuilder();
        sb.Append("| Row |");
        foreach (var (label, _, _) in layout) sb.Append(' ').Append(MarkdownEscape(label)).Append(" |");
        sb.Append('\n').Append("| --- |");
        foreach (var _ in layout) sb.Append(" ---: |");
        sb.Append('\n');
        var best = BestMask(table, display);
        for (var r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            sb.Append("| ").Append(MarkdownEscape(row.Row)).Append(" |");
            foreach (var (_, i, part) in layout)
            {
                sb.Append(' ').Append(CellText(table, row, r, i, part, best, display, bold: x => $"**{x}**", pm: " ± ", star: " *", empty: "–")).Append(" |");
            }
            sb.Append('\n');
        }
        if (table.Statistics is { } st) sb.Append('\n').Append(Legend(st)).Append('\n');
        if (MissingLine(table) is { } missing) sb.Append('\n').Append(MarkdownEscape(missing)).Append('\n');
        return sb.ToString();
    }

    /// <summary>
    /// A booktabs tabular: a benchmark header row (\multicolumn + \cmidrule) over a metric header row, cells
    /// "mean $\pm$ std", the best mean per column in \textbf, "--" where empty, LaTeX specials escaped. With statistics,
    /// CI and Δ columns as in <see cref="ToMarkdown"/> (significance: $^{*}$).
    /// </summary>
    public static string ToLatex(ResultTable table, ResultFormat? display = null)
    {
        display ??= ResultFormat.Default;
        var layout = Layout(table);
        var sb = new StringBuilder();
        sb.Append(@"\begin{tabular}{l").Append('r', layout.Count).Append("}\n");
        sb.Append(@"\toprule").Append('\n');

        var groups = new List<(string Benchmark, int First, int Count)>();
        for (var n = 0; n < layout.Count; n++)
        {
            var benchmark = table.Columns[layout[n].Column].Benchmark;
            if (groups.Count > 0 && groups[^1].Benchmark == benchmark)
                groups[^1] = (groups[^1].Benchmark, groups[^1].First, groups[^1].Count + 1);
            else groups.Add((benchmark, n, 1));
        }
        foreach (var g in groups) sb.Append($@" & \multicolumn{{{g.Count}}}{{c}}{{{LatexEscape(g.Benchmark)}}}");
        sb.Append(@" \\").Append('\n');
        if (groups.Count > 0)
            sb.Append(string.Join(" ", groups.Select(g => $@"\cmidrule(lr){{{g.First + 2}-{g.First + g.Count + 1}}}"))).Append('\n');
        sb.Append("Row");
        foreach (var (label, i, part) in layout)
            sb.Append(" & ").Append(LatexEscape(part switch { CellPart.Value => table.Columns[i].Metric.Label, CellPart.Ci => "95 % CI", _ => HeaderOfDelta(table) }));
        sb.Append(@" \\").Append('\n').Append(@"\midrule").Append('\n');

        var best = BestMask(table, display);
        for (var r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            sb.Append(LatexEscape(row.Row));
            foreach (var (_, i, part) in layout)
                sb.Append(" & ").Append(CellText(table, row, r, i, part, best, display, bold: x => $@"\textbf{{{x}}}", pm: @" $\pm$ ", star: @"$^{*}$", empty: "--"));
            sb.Append(@" \\").Append('\n');
        }
        sb.Append(@"\bottomrule").Append('\n').Append(@"\end{tabular}").Append('\n');
        if (table.Statistics is { } st) sb.Append("% ").Append(Legend(st)).Append('\n');
        if (MissingLine(table) is { } missing) sb.Append("% ").Append(missing).Append('\n');
        return sb.ToString();
    }

    /// <summary>"Missing: dsdr: 3 trials failed (training diverged); grpo: 1 trial cancelled." — null when every trial gave figures.</summary>
    public static string? MissingLine(ResultTable table) =>
        table.Missing.Count == 0 ? null : $"Missing: {string.Join("; ", table.Missing.Select(m => m.Text))}.";

    private enum CellPart { Value, Ci, Delta }

    /// <summary>The rendered columns: each metric column, then (with statistics) its CI and Δ columns.</summary>
    private static List<(string Label, int Column, CellPart Part)> Layout(ResultTable table)
    {
        var layout = new List<(string, int, CellPart)>();
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var label = table.Columns[i].Label;
            layout.Add((label, i, CellPart.Value));
            if (table.Statistics is not { } st) continue;
            layout.Add(($"{label} 95 % CI", i, CellPart.Ci));
            if (st.Reference is not null) layout.Add(($"{label} {HeaderOfDelta(table)}", i, CellPart.Delta));
        }
        return layout;
    }

    private static string HeaderOfDelta(ResultTable table) => $"Δ vs {table.Statistics?.Reference}";

    private static string CellText(ResultTable table, ResultRow row, int r, int i, CellPart part, bool[,] best, ResultFormat display,
        Func<string, string> bold, string pm, string star, string empty)
    {
        var cell = row.Cells[i];
        var metric = table.Columns[i].Metric;
        if (cell is null) return empty;
        switch (part)
        {
            case CellPart.Value:
                var mean = Number(cell.Mean, metric, display);
                var text = best[r, i] ? bold(mean) : mean;
                return cell.Std is { } s ? text + pm + Number(s, metric, display) : text;
            case CellPart.Ci:
                return cell.CiLow is { } lo && cell.CiHigh is { } hi ? $"[{Number(lo, metric, display)}, {Number(hi, metric, display)}]" : empty;
            default:
                if (row.Row == table.Statistics?.Reference) return "ref";
                if (cell.Delta is not { } d) return empty;
                var delta = Signed(d.Mean, metric, display);
                if (d.CiLow is { } dl && d.CiHigh is { } dh) delta += $" [{Number(dl, metric, display)}, {Number(dh, metric, display)}]";
                return d.Significant ? delta + star : delta;
        }
    }

    private static string Signed(double x, MetricKey metric, ResultFormat display)
    {
        var text = Number(x, metric, display);
        return text.StartsWith('-') ? text : "+" + text;
    }

    /// <summary>One line saying how the intervals and differences were computed.</summary>
    public static string Legend(ResultStatisticsSummary st) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{st.Level * 100:0.#} % CI: bootstrap over {(st.ProblemLevel ? "problems and seeds" : "seeds")} ({st.Replicates} replicates, seed {st.Seed}); ")
        + (st.Reference is { } reference
            ? string.Create(CultureInfo.InvariantCulture, $"Δ: paired difference vs {reference}, * p < {1 - st.Level:0.##} (two-sided). See docs/STATISTICS.md.")
            : "no reference row, no differences. See docs/STATISTICS.md.");

    /// <summary>Best means compared at the shown precision, so values that print the same are all bold.</summary>
    private static bool[,] BestMask(ResultTable table, ResultFormat display)
    {
        var mask = new bool[table.Rows.Count, table.Columns.Count];
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var metric = table.Columns[i].Metric;
            foreach (var r in table.BestRows(i, x => Math.Round(Scale(x, metric, display), display.Decimals, MidpointRounding.AwayFromZero)))
                mask[r, i] = true;
        }
        return mask;
    }

    private static double Scale(double x, MetricKey metric, ResultFormat display) => display.Percent && metric.IsRate ? 100 * x : x;

    private static string Number(double x, MetricKey metric, ResultFormat display) =>
        Math.Round(Scale(x, metric, display), display.Decimals, MidpointRounding.AwayFromZero)
            .ToString("F" + display.Decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Raw(double x) => x.ToString("R", CultureInfo.InvariantCulture);

    private static string RawOrEmpty(double? x) => x is { } v ? Raw(v) : "";

    private static string Csv(string field) =>
        field.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + field.Replace("\"", "\"\"") + "\"" : field;

    private static string MarkdownEscape(string text) => text.Replace("\\", "\\\\").Replace("|", "\\|").Replace("*", "\\*").Replace("_", "\\_");

    /// <summary>Escapes LaTeX specials and writes the Greek letters of row labels in math mode.</summary>
    public static string LatexEscape(string text)
    {
        var sb = new StringBuilder();
        foreach (var ch in text)
            sb.Append(ch switch
            {
                '\\' => @"\textbackslash{}",
                '&' => @"\&",
                '%' => @"\%",
                '$' => @"\$",
                '#' => @"\#",
                '_' => @"\_",
                '{' => @"\{",
                '}' => @"\}",
                '~' => @"\textasciitilde{}",
                '^' => @"\textasciicircum{}",
                'λ' => @"$\lambda$",
                'Δ' => @"$\Delta$",
                'τ' => @"$\tau$",
                'σ' => @"$\sigma$",
                'ε' => @"$\varepsilon$",
                'β' => @"$\beta$",
                'ℓ' => @"$\ell$",
                '±' => @"$\pm$",
                '≥' => @"$\geq$",
                '≤' => @"$\leq$",
                _ => ch.ToString(),
            });
        return sb.ToString();
    }
}
