using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Evaluation;

namespace Dsdr.Learning.Training;

/// <summary>
/// The step-0 evaluation of a shared SFT backbone, computed once and kept beside it (&lt;backbone&gt;/evals/&lt;key&gt;.json):
/// every arm of a sweep starts from the same backbone, and with the same task, evaluation protocol, seed and answer length
/// its evaluation is the same, so the first trial computes it and the others read it (concurrent callers wait on a lock).
/// </summary>
public static class BackboneEvaluations
{
    public const string FolderName = "evals";

    /// <summary>What the step-0 figures depend on besides the backbone: task, evaluation protocol (not its cadence), seed, answer length, benchmarks.</summary>
    public static string Key(TrialSpec trial, int maxNewTokens, IReadOnlyList<string> benchmarks)
    {
        var document = new JsonObject
        {
            ["task"] = JsonNode.Parse(JsonSerializer.Serialize(trial.Task, SweepJson.Options)),
            ["eval"] = JsonNode.Parse(JsonSerializer.Serialize(trial.Eval with { EverySteps = 0, AtStart = true }, SweepJson.Options)),
            ["seed"] = trial.Seed,
            ["maxNewTokens"] = maxNewTokens,
            ["benchmarks"] = new JsonArray([.. benchmarks.Select(b => JsonValue.Create(b))]),
        };
        var canonical = TrialIdentity.Canonicalize(document);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)).AsSpan(0, 16));
    }

    /// <summary>The stored evaluation for <paramref name="key"/>, or <paramref name="evaluate"/>'s, stored for the next caller.</summary>
    public static EvalReport GetOrEvaluate(string backboneFolder, string key, Func<EvalReport> evaluate, CancellationToken ct)
    {
        var folder = Path.Combine(backboneFolder, FolderName);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, key + ".json");
        if (TryRead(path) is { } stored) return stored;
        using var gate = FileGate.Acquire(path + ".lock", ct);
        if (TryRead(path) is { } storedMeanwhile) return storedMeanwhile;
        var report = evaluate();
        if (report.Step != 0) throw new InvalidOperationException($"A backbone evaluation is at step 0, got step {report.Step}.");
        FileGate.WriteAtomically(path, JsonSerializer.Serialize(report, JsonlTrainingSink.JsonOptions));
        return report;
    }

    private static EvalReport? TryRead(string path) =>
        File.Exists(path) ? JsonSerializer.Deserialize<EvalReport>(File.ReadAllText(path), JsonlTrainingSink.JsonOptions) : null;
}
