using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dsdr.Core.Sweeps;

/// <summary>
/// One trial of a sweep: an arm at a grid point with a seed, and everything it needs to run.
/// <see cref="TrialId"/> is content-addressed (see <see cref="TrialIdentity"/>), so resubmitting a sweep gives the same ids.
/// </summary>
/// <param name="Index">Position in the sweep's expansion (arm-major, then grid point, then seed).</param>
/// <param name="GridPoint">The grid coordinates applied to this trial (keys the arm pins are left out).</param>
/// <param name="Row">Result-table row: the arm plus its grid point, e.g. "dsdr λd=0.01 τ=5".</param>
/// <param name="ConfigHash">Hash of the trial's full config without the sweep name: equal across sweeps for identical trials.</param>
public sealed record TrialSpec(
    string TrialId,
    string ConfigHash,
    string SweepName,
    int Index,
    string Arm,
    string Row,
    IReadOnlyList<HyperAssignment> GridPoint,
    int Seed,
    TrainingConfig Config,
    TaskSpec Task,
    ModelSpec Model,
    EvalSpec Eval,
    ResourceSpec Resources)
{
    public string ToJson(bool indented = false) => JsonSerializer.Serialize(this, indented ? SweepJson.Indented : SweepJson.Options);
}

/// <summary>Turns a validated sweep spec into its ordered trial list.</summary>
public static class SweepExpander
{
    /// <summary>
    /// The trials in a deterministic order: arms as listed, then grid points (first grid key outermost,
    /// values as listed), then seeds as listed. An arm's pinned keys do not multiply its trials.
    /// Expects a spec that <see cref="SweepSpecParser"/> accepted; an unknown arm throws.
    /// </summary>
    public static IReadOnlyList<TrialSpec> Expand(SweepSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var trials = new List<TrialSpec>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (arm, point) in Points(spec))
        {
            var resolved = ArmPresets.Get(arm).Resolve(spec.Base, point);
            var row = RowLabel(arm, point);
            foreach (var seed in spec.Seeds)
            {
                var config = resolved with { Seed = seed };
                var configHash = TrialIdentity.Hash(TrialIdentity.CanonicalJson(null, arm, config, spec.Task, spec.Model, spec.Eval));
                var trialId = TrialIdentity.Hash(TrialIdentity.CanonicalJson(spec.Name, arm, config, spec.Task, spec.Model, spec.Eval));
                if (!seen.Add(trialId)) continue; // identical config reached twice: one trial
                trials.Add(new TrialSpec(trialId, configHash, spec.Name, trials.Count, arm, row, point, seed, config,
                    spec.Task, spec.Model, spec.Eval, spec.Resources));
            }
        }
        return trials;
    }

    /// <summary>Number of trials <see cref="Expand"/> gives: Σ_arms Π_(axes the arm does not pin) |values| × |seeds| (as double: it may be huge).</summary>
    public static double CountTrials(SweepSpec spec) => spec.Arms.Sum(arm => CountGridPoints(spec, arm)) * spec.Seeds.Count;

    /// <summary>
    /// Points one arm runs: the product of the lengths of the grid axes it does not pin, times the search budget when the
    /// search has a range the arm does not pin.
    /// </summary>
    public static double CountGridPoints(SweepSpec spec, string arm)
    {
        var preset = ArmPresets.Get(arm);
        var grid = spec.Grid.Where(a => !preset.Pins(a.Key)).Aggregate(1.0, (n, a) => n * a.Values.Count);
        return spec.Search is { } search && search.Ranges.Any(r => !preset.Pins(r.Key)) ? grid * search.Trials : grid;
    }

    /// <summary>
    /// Each arm with each of its points, in expansion order: grid points (first axis outermost), and within each the
    /// search's points in draw order (the keys the arm pins left out).
    /// </summary>
    public static IEnumerable<(string Arm, IReadOnlyList<HyperAssignment> Point)> Points(SweepSpec spec)
    {
        IReadOnlyList<IReadOnlyList<HyperAssignment>> searched = spec.Search is { } search ? SearchSampler.Points(search) : [[]];
        foreach (var arm in spec.Arms)
        {
            var preset = ArmPresets.Get(arm);
            var axes = spec.Grid.Where(a => !preset.Pins(a.Key)).ToList();
            foreach (var point in Product(axes, 0, []))
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var sample in searched)
                {
                    IReadOnlyList<HyperAssignment> full = [.. point, .. sample.Where(a => !preset.Pins(a.Key))];
                    if (seen.Add(RowLabel(arm, full))) yield return (arm, full); // two draws that round to the same point run once
                }
            }
        }
    }

    private static IEnumerable<IReadOnlyList<HyperAssignment>> Product(List<GridAxis> axes, int depth, List<HyperAssignment> prefix)
    {
        if (depth == axes.Count)
        {
            yield return prefix.ToList();
            yield break;
        }
        foreach (var value in axes[depth].Values)
        {
            prefix.Add(new HyperAssignment(axes[depth].Key, value));
            foreach (var point in Product(axes, depth + 1, prefix)) yield return point;
            prefix.RemoveAt(prefix.Count - 1);
        }
    }

    /// <summary>"dsdr λd=0.01 τ=5": the arm, then each grid coordinate as label=value.</summary>
    public static string RowLabel(string arm, IReadOnlyList<HyperAssignment> point) =>
        point.Count == 0
            ? arm
            : arm + " " + string.Join(" ", point.Select(a => { var p = HyperParameters.Get(a.Key); return $"{p.Label}={p.Format(a.Value)}"; }));
}

/// <summary>
/// Content-addressed trial ids. The hashed document is the canonical JSON (keys sorted, no spaces) of
/// {sweep, arm, config (every hyper-parameter, seed included), task, model, eval}. Resources are left out
/// (where a trial runs does not change what it is). Decision: the sweep name is part of
/// <see cref="TrialSpec.TrialId"/>, so a trial belongs to exactly one sweep and resubmitting a spec with the
/// same name yields the same ids (the store upserts on id and never duplicates); renaming a sweep makes new
/// trials. <see cref="TrialSpec.ConfigHash"/> is the same hash without the sweep name, to match identical
/// trials across sweeps. A field <see cref="TrainingConfig"/> gains later is left out while it has its default
/// (<see cref="HyperParameter.IdentityOmitsDefault"/>), so stored trials keep their ids.
/// </summary>
public static class TrialIdentity
{
    public const int IdLength = 16;

    /// <summary>First 16 hex digits (lower case) of SHA-256 over the UTF-8 text.</summary>
    public static string Hash(string canonicalJson) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalJson)))[..IdLength];

    /// <summary>The canonical document hashed into ids; <paramref name="sweepName"/> null leaves it out.</summary>
    public static string CanonicalJson(string? sweepName, string arm, TrainingConfig config, TaskSpec task, ModelSpec model, EvalSpec eval)
    {
        var document = new JsonObject
        {
            ["arm"] = arm,
            ["config"] = IdentityConfig(config),
            ["task"] = JsonNode.Parse(JsonSerializer.Serialize(task, SweepJson.Options)),
            ["model"] = IdentityModel(model),
            ["eval"] = JsonNode.Parse(JsonSerializer.Serialize(eval, SweepJson.Options)),
        };
        if (sweepName is not null) document["sweep"] = sweepName;
        return Canonicalize(document);
    }

    // the model's JSON without the later-added prompt fields (chatTemplate, enableThinking, instruction) that hold their defaults
    private static JsonObject IdentityModel(ModelSpec model)
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(model, SweepJson.Options))!.AsObject();
        var defaults = new ModelSpec(model.Preset, model.Checkpoint, model.Sft);
        if (model.ChatTemplate == defaults.ChatTemplate) json.Remove("chatTemplate");
        if (model.EnableThinking == defaults.EnableThinking) json.Remove("enableThinking");
        if (model.Instruction == defaults.Instruction) json.Remove("instruction");
        return json;
    }

    // the config's JSON without the later-added fields that hold their defaults
    private static JsonObject IdentityConfig(TrainingConfig config)
    {
        var json = JsonNode.Parse(JsonSerializer.Serialize(config, SweepJson.Options))!.AsObject();
        foreach (var p in HyperParameters.All.Where(p => p.IdentityOmitsDefault && Equals(p.Get(config), p.Get(TrainingConfig.Default))))
            json.Remove(p.Name);
        return json;
    }

    /// <summary>Compact JSON with object keys sorted ordinally at every level.</summary>
    public static string Canonicalize(JsonNode? node) => Sorted(node)?.ToJsonString() ?? "null";

    private static JsonNode? Sorted(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Sorted(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Sorted).ToArray()),
        null => null,
        _ => JsonNode.Parse(node.ToJsonString()),
    };
}
