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

    /// <summary>{"columns":[{benchmark, metric, k, label}], "rows":[{row, arm, cells:[{mean, std, n} | null]}]}.</summary>
    public static string ToJson(ResultTable table, bool indented = false)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
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
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Tidy CSV (RFC 4180): row,arm,benchmark,metric,k,mean,std,n — one line per non-empty cell, raw values.</summary>
    public static string ToCsv(ResultTable table)
    {
        var sb = new StringBuilder("row,arm,benchmark,metric,k,mean,std,n\r\n");
        foreach (var r in table.Rows)
            for (var i = 0; i < table.Columns.Count; i++)
            {
                if (r.Cells[i] is not { } cell) continue;
                var c = table.Columns[i];
                sb.Append(Csv(r.Row)).Append(',').Append(Csv(r.Arm)).Append(',').Append(Csv(c.Benchmark)).Append(',')
                  .Append(Csv(c.Metric.Metric)).Append(',').Append(c.Metric.K?.ToString(CultureInfo.InvariantCulture)).Append(',')
                  .Append(Raw(cell.Mean)).Append(',').Append(cell.Std is { } s ? Raw(s) : "").Append(',')
                  .Append(cell.N.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
            }
        return sb.ToString();
    }

    /// <summary>A GitHub Markdown table: "mean ± std" (just the mean when n = 1), best mean per column in bold, "–" where empty.</summary>
    public static string ToMarkdown(ResultTable table, ResultFormat? display = null)
    {
        display ??= ResultFormat.Default;
        var sb = new StringBuilder();
        sb.Append("| Row |");
        foreach (var c in table.Columns) sb.Append(' ').Append(MarkdownEscape(c.Label)).Append(" |");
        sb.Append('\n').Append("| --- |");
        foreach (var _ in table.Columns) sb.Append(" ---: |");
        sb.Append('\n');
        var best = BestMask(table, display);
        for (var r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            sb.Append("| ").Append(MarkdownEscape(row.Row)).Append(" |");
            for (var i = 0; i < table.Columns.Count; i++)
            {
                var cell = row.Cells[i];
                sb.Append(' ');
                if (cell is null) sb.Append('–');
                else
                {
                    var mean = Number(cell.Mean, table.Columns[i].Metric, display);
                    sb.Append(best[r, i] ? $"**{mean}**" : mean);
                    if (cell.Std is { } s) sb.Append(" ± ").Append(Number(s, table.Columns[i].Metric, display));
                }
                sb.Append(" |");
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// A booktabs tabular: a benchmark header row (\multicolumn + \cmidrule) over a metric header row, cells
    /// "mean $\pm$ std", the best mean per column in \textbf, "--" where empty, LaTeX specials escaped.
    /// </summary>
    public static string ToLatex(ResultTable table, ResultFormat? display = null)
    {
        display ??= ResultFormat.Default;
        var sb = new StringBuilder();
        sb.Append(@"\begin{tabular}{l").Append('r', table.Columns.Count).Append("}\n");
        sb.Append(@"\toprule").Append('\n');

        var groups = new List<(string Benchmark, int First, int Count)>();
        for (var i = 0; i < table.Columns.Count; i++)
        {
            if (groups.Count > 0 && groups[^1].Benchmark == table.Columns[i].Benchmark)
                groups[^1] = (groups[^1].Benchmark, groups[^1].First, groups[^1].Count + 1);
            else groups.Add((table.Columns[i].Benchmark, i, 1));
        }
        foreach (var g in groups) sb.Append($@" & \multicolumn{{{g.Count}}}{{c}}{{{LatexEscape(g.Benchmark)}}}");
        sb.Append(@" \\").Append('\n');
        if (groups.Count > 0)
            sb.Append(string.Join(" ", groups.Select(g => $@"\cmidrule(lr){{{g.First + 2}-{g.First + g.Count + 1}}}"))).Append('\n');
        sb.Append("Row");
        foreach (var c in table.Columns) sb.Append(" & ").Append(LatexEscape(c.Metric.Label));
        sb.Append(@" \\").Append('\n').Append(@"\midrule").Append('\n');

        var best = BestMask(table, display);
        for (var r = 0; r < table.Rows.Count; r++)
        {
            var row = table.Rows[r];
            sb.Append(LatexEscape(row.Row));
            for (var i = 0; i < table.Columns.Count; i++)
            {
                sb.Append(" & ");
                var cell = row.Cells[i];
                if (cell is null) { sb.Append("--"); continue; }
                var mean = Number(cell.Mean, table.Columns[i].Metric, display);
                sb.Append(best[r, i] ? $@"\textbf{{{mean}}}" : mean);
                if (cell.Std is { } s) sb.Append(@" $\pm$ ").Append(Number(s, table.Columns[i].Metric, display));
            }
            sb.Append(@" \\").Append('\n');
        }
        sb.Append(@"\bottomrule").Append('\n').Append(@"\end{tabular}").Append('\n');
        return sb.ToString();
    }

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
