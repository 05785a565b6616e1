using System.Text;
using System.Text.Json;
using Dsdr.Core.Reports;
using Dsdr.Core.Results;
using Dsdr.Web.Api;

namespace Dsdr.Cli.Reports;

/// <summary>Files written whole or not at all: into a temporary file beside the target, then moved over it.</summary>
internal static class ReportFiles
{
    public static void WriteAtomically(string path, byte[] content)
    {
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, content);
        File.Move(temp, path, overwrite: true);
    }

    public static void WriteAtomically(string path, string text) => WriteAtomically(path, Encoding.UTF8.GetBytes(text));
}

/// <summary>
/// Writes a sweep report into a folder: report.md (header, table, claims, figures), report.json (the API's document),
/// table.csv and table.json (the results API's renderings of the same table), figures/*.png and *.svg.
/// </summary>
internal static class ReportWriter
{
    public const string Markdown = "report.md";
    public const string Json = "report.json";
    public const string TableCsv = "table.csv";
    public const string TableJson = "table.json";

    /// <summary>The API's report document; a body that is not one is a <see cref="CliUnavailableException"/> (the server is not a Dsdr API of this version).</summary>
    public static SweepReport Read(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<SweepReport>(json, ApiJson.Options) ?? throw new JsonException("the body is null");
        }
        catch (JsonException e)
        {
            throw new CliUnavailableException($"the platform's report is not a report document this dsdr can read ({e.Message}); is the platform the same version?");
        }
    }

    /// <summary>Writes every file; returns the figures drawn.</summary>
    public static IReadOnlyList<ReportFigure> Write(SweepReport report, string folder)
    {
        var figures = ReportFigures.Draw(report, folder);
        ReportFiles.WriteAtomically(Path.Combine(folder, TableCsv), ResultTableRenderer.ToCsv(report.Table));
        ReportFiles.WriteAtomically(Path.Combine(folder, TableJson), ResultTableRenderer.ToJson(report.Table, indented: true));
        ReportFiles.WriteAtomically(Path.Combine(folder, Json), JsonSerializer.Serialize(report, Indented));
        ReportFiles.WriteAtomically(Path.Combine(folder, Markdown), ReportMarkdown.Write(report, figures, StatisticsLink(folder)));
        return figures;
    }

    private static readonly JsonSerializerOptions Indented = new(ApiJson.Options) { WriteIndented = true };

    /// <summary>docs/STATISTICS.md relative to the report when the report lies inside a Dsdr checkout, else its path in the repository.</summary>
    internal static string StatisticsLink(string folder)
    {
        for (var dir = new DirectoryInfo(folder); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "docs", "STATISTICS.md");
            if (File.Exists(candidate)) return Path.GetRelativePath(folder, candidate).Replace('\\', '/');
        }
        return "docs/STATISTICS.md";
    }
}
