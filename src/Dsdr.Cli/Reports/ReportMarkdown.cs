using System.Globalization;
using System.Text;
using Dsdr.Core.Reports;
using Dsdr.Core.Results;
using Dsdr.Core.Statistics;

namespace Dsdr.Cli.Reports;

/// <summary>report.md: a short header, the result table, the paper's claims with their Δ, CI, p and verdict, the figures, notes. Every number comes from the report document.</summary>
internal static class ReportMarkdown
{
    public static string Write(SweepReport report, IReadOnlyList<ReportFigure> figures, string statisticsLink)
    {
        var h = report.Header;
        var st = report.Table.Statistics;
        var md = new StringBuilder();
        md.Append("# Sweep report: ").Append(h.Name).Append("\n\n");
        if (!string.IsNullOrWhiteSpace(h.Description)) md.Append(h.Description).Append("\n\n");
        md.Append("| | |\n| --- | --- |\n");
        Row(md, "sweep", $"`{h.SweepId}`: {h.Status}, {h.CompletedTrials} of {h.Trials} trials completed");
        if (h.Spec is not null) Row(md, "spec", h.Spec);
        Row(md, "arms", string.Join(", ", h.Arms));
        Row(md, "rows", string.Join(", ", h.Rows));
        Row(md, "seeds", $"{string.Join(", ", h.Seeds)} ({h.Seeds.Count})");
        Row(md, "benchmarks", h.Benchmarks.Count == 0 ? "none evaluated yet" : string.Join(", ", h.Benchmarks));
        Row(md, "table step", h.Step == "final" ? "final (each trial's last evaluation)" : h.Step);
        Row(md, "reference", h.Reference ?? "none (no Δ)");
        Row(md, "platform commit", h.PlatformCommit ?? "unknown");
        Row(md, "uncertainty", Uncertainty(st, h, statisticsLink));
        md.Append("\nEach trial's environment (CPU, instruction set, library versions, commit) is in its own `environment.json`; the platform does not serve it.\n\n");

        md.Append("## Result table\n\n");
        md.Append($"The same numbers as `GET /api/sweeps/{h.SweepId}/results?{report.TableQuery}` (also in [{ReportWriter.TableCsv}]({ReportWriter.TableCsv}) and " +
                  $"[{ReportWriter.TableJson}]({ReportWriter.TableJson})). Rates in %; mean ± std over seeds.\n\n");
        md.Append(report.Table.Rows.Count == 0 ? "(no evaluations after step 0 yet)\n" : ResultTableRenderer.ToMarkdown(report.Table, new ResultFormat(Decimals: 2)));
        md.Append('\n');

        Claims(md, report, statisticsLink);
        Figures(md, report, figures);
        if (report.Notes.Count > 0)
        {
            md.Append("## Notes\n\n");
            foreach (var note in report.Notes) md.Append("- ").Append(note).Append('\n');
        }
        return md.ToString();
    }

    private static string Uncertainty(ResultStatisticsSummary? st, ReportHeader h, string link)
    {
        var level = st is null ? "95" : (st.Level * 100).ToString("0.#", CultureInfo.InvariantCulture);
        var over = st?.ProblemLevel == false ? "seeds (no per-problem rows)" : "problems (one draw shared by every row) and seeds";
        var bootstrap = st is null ? "" : $", {st.Replicates} replicates, seed {st.Seed}";
        return $"table cells, pass@k and Δ: {level} % percentile bootstrap over {over}{bootstrap}; Δ paired by seed. " +
               $"Curves over steps: mean ± Student-t {level} % half-width over seeds. Late-training entropy: each trial's mean over its last " +
               $"{(h.LateWindow * 100).ToString("0.#", CultureInfo.InvariantCulture)} % of steps. See [docs/STATISTICS.md]({link}).";
    }

    private static void Claims(StringBuilder md, SweepReport report, string link)
    {
        md.Append("## Claims\n\n");
        md.Append($"Each claim is Δ = row − reference with a claimed sign, judged on the paired 95 % bootstrap interval of Δ: **shown** when the interval " +
                  $"excludes 0 on the claimed side, **contradicted** when it excludes 0 on the other side, **not shown** when it contains 0 (or there is none), " +
                  $"**not testable** when the sweep lacks a row or figure the claim needs ([rule]({link}#claims-and-their-verdicts)). Rates in percentage points.\n\n");
        md.Append("| claim | benchmark | row − reference | metric | claimed | Δ | 95 % CI | p | verdict | note |\n");
        md.Append("| --- | --- | --- | --- | :---: | ---: | ---: | ---: | --- | --- |\n");
        foreach (var c in report.Claims)
        {
            var d = c.Delta;
            md.Append("| ").Append(Escape(c.Claim))
              .Append(" | ").Append(c.Benchmark ?? "training")
              .Append(" | ").Append(Escape($"{c.Row} − {c.Reference}"))
              .Append(" | ").Append(Escape(c.Metric))
              .Append(" | ").Append(c.ClaimedSign > 0 ? "> 0" : "< 0")
              .Append(" | ").Append(d is null ? "–" : Signed(d.Mean, c.Rate))
              .Append(" | ").Append(d?.CiLow is { } lo && d.CiHigh is { } hi ? $"[{Signed(lo, c.Rate)}, {Signed(hi, c.Rate)}]" : "–")
              .Append(" | ").Append(P(d?.P))
              .Append(" | **").Append(c.Word).Append("**")
              .Append(" | ").Append(Escape(Note(c))).Append(" |\n");
        }
        var counts = report.Claims.GroupBy(c => c.Verdict).OrderBy(g => g.Key).Select(g => $"{g.Count()} {Verdicts.Word(g.Key)}");
        md.Append($"\n{report.Claims.Count} claims checked: {string.Join(", ", counts)}.\n\n");
    }

    private static string Note(ReportClaim c)
    {
        var parts = new List<string>();
        if (c.Note is { } note) parts.Add(note);
        if (c.Delta is { } d) parts.Add($"{d.Seeds} seed{(d.Seeds == 1 ? "" : "s")}{(d.Paired ? " paired" : ", unpaired")}");
        return string.Join("; ", parts);
    }

    private static void Figures(StringBuilder md, SweepReport report, IReadOnlyList<ReportFigure> figures)
    {
        md.Append("## Figures\n\n");
        if (figures.Count == 0) md.Append("No figure: the sweep has no evaluations or curves yet.\n\n");
        foreach (var section in figures.GroupBy(f => f.Section))
        {
            md.Append("### ").Append(section.Key).Append("\n\n");
            if (section.Key == "Δpass@k")
            {
                foreach (var curve in report.PassAtKDeltas)
                    md.Append($"- {curve.Benchmark}, {curve.Row} − {curve.Reference}: smallest significant k = " +
                              (curve.SmallestSignificantK is { } k ? k.ToString(CultureInfo.InvariantCulture) : "none") +
                              (curve.Widening is { } w ? $"; Δpass@{curve.Points[^1].K} − Δpass@{curve.Points[0].K} = {Signed(w.Mean, rate: true)}" +
                                                          (w.CiLow is { } lo && w.CiHigh is { } hi ? $" [{Signed(lo, true)}, {Signed(hi, true)}]" : "") : "") + "\n");
                md.Append('\n');
            }
            foreach (var f in section)
                md.Append($"**{f.Title}.** {f.Caption}\n\n![{f.Title}]({f.Png})\n\n[SVG]({f.Svg})\n\n");
        }
        if (!figures.Any(f => f.Section == "λ sensitivity"))
            md.Append("### λ sensitivity\n\n").Append(report.Lambda.Note ?? "No λ-sensitivity figure.").Append("\n\n");
    }

    private static void Row(StringBuilder md, string key, string value) => md.Append("| ").Append(key).Append(" | ").Append(Escape(value)).Append(" |\n");

    // a rate difference in percentage points with two decimals, anything else with three
    private static string Signed(double x, bool rate)
    {
        var text = rate ? (100 * x).ToString("0.00", CultureInfo.InvariantCulture) : x.ToString("0.000", CultureInfo.InvariantCulture);
        return text.StartsWith('-') ? text : "+" + text;
    }

    private static string P(double? p) => p switch
    {
        null => "–",
        < 0.001 => "< 0.001",
        { } v => v.ToString("0.000", CultureInfo.InvariantCulture),
    };

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
