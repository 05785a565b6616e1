using System.CommandLine;
using Dsdr.Cli.Reports;
using Dsdr.Core.Reports;

namespace Dsdr.Cli.Commands;

/// <summary>
/// <c>dsdr report SWEEP --out DIR</c>: the sweep's report from a running platform's REST API (GET /api/sweeps/{id}/report,
/// computed there with Core's statistics), rendered into DIR: report.md, report.json, table.csv, table.json and the figures
/// as PNG and SVG. --api/--api-key and exit codes as the <c>dsdr sweep</c> verbs: a refused request exits 2, an unreachable
/// server 1.
/// </summary>
internal static class ReportCommand
{
    public static Command Create(CliIo io, Func<HttpClient>? http = null)
    {
        var api = new SweepApiCommands.ApiOptions();
        var id = new Argument<string>("SWEEP") { Description = "The sweep's id (what 'dsdr sweep submit' printed)." };
        var output = new Option<string>("--out") { Description = "Folder to write the report into (created when missing; its report files are replaced).", Required = true };
        var reference = new Option<string?>("--reference")
        {
            Description = "The row every Δ (table, Δpass@k) is against: a row label, an arm or backbone (default: grpo). The claims compare their own rows.",
        };
        var step = new Option<string?>("--step")
        {
            Description = "The table's evaluation step: final (each trial's last evaluation, default) or best:<benchmark>:<metric@k>, e.g. best:countdown:avg@16.",
        };
        var metric = new Option<string[]>("--metric")
        {
            Description = "A table column's metric, e.g. avg@16 (repeat for several; default: Pass@1, Avg@k, pass@n, distinct, semantic similarity and the diversity-temperature figures).",
        };
        var command = new Command("report",
            "Write a sweep's report: the paper-style table with CIs and Δ, pass@k and Δpass@k with bands, entropy and similarity over training, " +
            "distinct correct over evaluations, λ sensitivity, and each of the paper's claims with its Δ, CI, p and verdict.")
        {
            id, output, reference, step, metric,
        };
        api.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var folder = CliFiles.WritableFolder(parse.GetValue(output)!, "--out");
            var metrics = SweepApiCommands.CheckedMetrics(parse.GetValue(metric));
            var sweepId = parse.GetValue(id)!;
            var json = await api.Client(parse, http ?? (() => new HttpClient())).GetReportAsync(sweepId, metrics, parse.GetValue(step), parse.GetValue(reference), ct);
            Write(io, ReportWriter.Read(json), folder);
            return CliExit.Ok;
        });
        return command;
    }

    /// <summary>Renders the report into <paramref name="folder"/> and says what was written and what the claims came to.</summary>
    public static void Write(CliIo io, SweepReport report, string folder)
    {
        var figures = ReportWriter.Write(report, folder);
        io.Output.WriteLine($"report of sweep {report.Header.SweepId} written to {folder}: {ReportWriter.Markdown}, {ReportWriter.Json}, " +
                            $"{ReportWriter.TableCsv}, {ReportWriter.TableJson}, {figures.Count} figures (PNG and SVG) in {ReportFigures.Folder}/");
        var counts = report.Claims.GroupBy(c => c.Verdict).OrderBy(g => g.Key).Select(g => $"{g.Count()} {Verdicts.Word(g.Key)}");
        io.Output.WriteLine($"claims: {string.Join(", ", counts)}");
    }
}
