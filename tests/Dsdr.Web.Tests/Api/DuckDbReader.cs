using System.Diagnostics;
using System.Text.Json;

namespace Dsdr.Tests.Export;

/// <summary>
/// Reads exported files with DuckDB (npm @duckdb/node-api under node, tests/tools/parquet-reader): a reader independent of
/// Parquet.Net, as pandas or polars would open the files. .ci/run installs it; when its node_modules is missing the reader
/// installs it with npm ci first.
/// </summary>
public static class DuckDbReader
{
    public sealed record Column(string Name, string Type);

    public sealed record Table(IReadOnlyList<Column> Columns, IReadOnlyList<JsonElement> Rows)
    {
        public string TypeOf(string column) => Columns.Single(c => c.Name == column).Type;
    }

    public static string ToolFolder
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Dsdr.sln"))) return Path.Combine(dir.FullName, "tests", "tools", "parquet-reader");
            throw new InvalidOperationException($"No Dsdr.sln above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>Each file's columns (DuckDB's types) and rows, keyed by the file's name.</summary>
    public static IReadOnlyDictionary<string, Table> Read(params string[] files)
    {
        var tool = ToolFolder;
        if (!Directory.Exists(Path.Combine(tool, "node_modules", "@duckdb", "node-api")))
            Run("npm", ["ci", "--no-audit", "--no-fund"], tool, TimeSpan.FromMinutes(5));
        var output = Run("node", [Path.Combine(tool, "read.mjs"), .. files], tool, TimeSpan.FromMinutes(2));
        using var document = JsonDocument.Parse(output);
        return document.RootElement.EnumerateObject().ToDictionary(
            f => Path.GetFileName(f.Name),
            f => new Table(
                [.. f.Value.GetProperty("columns").EnumerateArray().Select(c => new Column(c.GetProperty("name").GetString()!, c.GetProperty("type").GetString()!))],
                [.. f.Value.GetProperty("rows").EnumerateArray().Select(r => r.Clone())]));
    }

    private static string Run(string program, IReadOnlyList<string> arguments, string folder, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} ran past {timeout}");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }
}
