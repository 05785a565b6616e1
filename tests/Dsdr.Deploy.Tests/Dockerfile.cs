using System.Text.Json;
using System.Xml.Linq;

namespace Dsdr.Deploy.Tests;

/// <summary>A Dockerfile's instructions (continuations joined, comments dropped) and its comment lines.</summary>
public sealed record Dockerfile(IReadOnlyList<(string Instruction, string Arguments)> Instructions, IReadOnlyList<string> Comments)
{
    public static Dockerfile Parse(string text)
    {
        var instructions = new List<(string, string)>();
        var comments = new List<string>();
        var pending = "";
        foreach (var raw in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#')) { comments.Add(line.TrimStart('#').Trim()); continue; }
            if (line.Length == 0 && pending.Length == 0) continue;
            if (line.EndsWith('\\')) { pending += line[..^1] + " "; continue; }
            var full = (pending + line).Trim();
            pending = "";
            if (full.Length == 0) continue;
            var space = full.IndexOf(' ');
            instructions.Add(space < 0 ? (full.ToUpperInvariant(), "") : (full[..space].ToUpperInvariant(), full[(space + 1)..].Trim()));
        }
        return new Dockerfile(instructions, comments);
    }

    public IEnumerable<string> All(string instruction) => Instructions.Where(i => i.Instruction == instruction).Select(i => i.Arguments);

    /// <summary>The instructions of the last stage (the image that is shipped).</summary>
    public Dockerfile FinalStage()
    {
        var start = Instructions.Select((i, n) => (i, n)).Last(x => x.i.Instruction == "FROM").n;
        return this with { Instructions = Instructions.Skip(start).ToList() };
    }

    /// <summary>An exec-form (JSON array) ENTRYPOINT/CMD.</summary>
    public IReadOnlyList<string> ExecForm(string instruction) =>
        All(instruction).LastOrDefault() is { } json ? JsonSerializer.Deserialize<string[]>(json) ?? [] : [];

    public string? ArgDefault(string name) =>
        All("ARG").Select(a => a.Split('=', 2)).FirstOrDefault(p => p[0] == name && p.Length == 2)?[1];

    /// <summary>The MSBuild project a "dotnet publish PROJECT" step builds.</summary>
    public string? PublishedProject() =>
        All("RUN").Select(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(w => Array.IndexOf(w, "publish") is var i and > 0 && w[i - 1] == "dotnet" && i + 1 < w.Length ? w[i + 1] : null)
            .FirstOrDefault(p => p is not null);

    /// <summary>The assembly a project builds (AssemblyName, else its file name).</summary>
    public static string AssemblyName(string project) =>
        XDocument.Load(RepoFiles.PathOf(project)).Descendants("AssemblyName").FirstOrDefault()?.Value ?? Path.GetFileNameWithoutExtension(project);
}
