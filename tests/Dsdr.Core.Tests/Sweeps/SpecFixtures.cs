using System.Text.Json.Nodes;
using Dsdr.Core.Sweeps;

namespace Dsdr.Core.Tests.Sweeps;

/// <summary>A small valid spec and helpers to break it one field at a time.</summary>
internal static class SpecFixtures
{
    public const string Minimal = """
        {
          "name": "t",
          "task": { "kind": "countdown" },
          "model": { "preset": "small" },
          "arms": ["grpo", "dsdr"],
          "grid": { "lambdaD": [0.01, 0.1] },
          "seeds": [0, 1]
        }
        """;

    public const string MathTask = """
        { "kind": "math", "trainPath": "/d/train.jsonl",
          "benchmarks": [ { "name": "AIME24", "path": "/d/a.jsonl" }, { "name": "MATH500", "path": "/d/m.jsonl" } ] }
        """;

    public static JsonObject MinimalNode() => JsonNode.Parse(Minimal)!.AsObject();

    public static string With(Action<JsonObject> mutate)
    {
        var node = MinimalNode();
        mutate(node);
        return node.ToJsonString();
    }

    public static SweepSpec Valid(string json)
    {
        var result = SweepSpecParser.Parse(json);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Spec!;
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Dsdr.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Dsdr.sln not found above " + AppContext.BaseDirectory);
    }
}
