using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dsdr.Core.Sweeps;

namespace Dsdr.Web.Components.Forms;

/// <summary>A problem with one form field, before the spec reaches Core's parser (e.g. "abc" in a number list).</summary>
public sealed record FormError(string Field, string Message);

/// <summary>What the form's fields make: the spec JSON (Core's format) and the fields it could not read.</summary>
public sealed record FormSpec(string Json, IReadOnlyList<FormError> Errors);

/// <summary>
/// The new-sweep form's fields, as typed (text), and how they become a sweep spec in Core's JSON format.
/// A λ/τ field with one value goes to "base", with several to "grid" (one axis each); empty fields keep Core's defaults.
/// Core's <see cref="SweepSpecParser"/> validates the result; <see cref="FieldOf"/> tells which field an error of its belongs to.
/// </summary>
public sealed class SweepForm
{
    public const string FieldName = "name", FieldTask = "task", FieldNumbers = "numbers", FieldOperands = "operands",
        FieldTrainPath = "trainPath", FieldBenchmarks = "benchmarks", FieldModel = "model", FieldCheckpoint = "checkpoint",
        FieldArms = "arms", FieldLambdaD = "lambdaD", FieldLambdaL = "lambdaL", FieldTau = "tau", FieldSeeds = "seeds",
        FieldTotalSteps = "totalSteps", FieldPromptsPerStep = "promptsPerStep", FieldGroupSize = "groupSize", FieldEvalEvery = "evalEvery";

    /// <summary>Hyper-parameters the form offers as grids (value lists), in the grid's axis order.</summary>
    public static IReadOnlyList<string> GridFields { get; } = [FieldLambdaD, FieldLambdaL, FieldTau];

    /// <summary>Whole-number training settings the form sets in "base".</summary>
    public static IReadOnlyList<string> StepFields { get; } = [FieldTotalSteps, FieldPromptsPerStep, FieldGroupSize];

    public string Name { get; set; } = "";
    public string Description { get; set; } = "";
    /// <summary>A registered task family's name (<see cref="Dsdr.Core.Tasks.TaskFamilies"/>): "countdown", "arith", "math", …; the settings below it that belong to the kind.</summary>
    public string TaskKind { get; set; } = "countdown";
    public string Numbers { get; set; } = "3";
    public string Operands { get; set; } = "4";
    public string TrainPath { get; set; } = "";
    /// <summary>One benchmark a line: "NAME=/path/to/file.jsonl".</summary>
    public string Benchmarks { get; set; } = "";
    public string ModelPreset { get; set; } = ModelPresets.Countdown;
    /// <summary>A Hugging Face checkpoint folder; when set it replaces the preset.</summary>
    public string Checkpoint { get; set; } = "";
    public bool Sft { get; set; } = true;
    public HashSet<string> Arms { get; } = [ArmPresets.Grpo, ArmPresets.Dsdr];
    public string LambdaD { get; set; } = "0.1";
    public string LambdaL { get; set; } = "0.01";
    public string Tau { get; set; } = "5";
    public string Seeds { get; set; } = "0";
    public string TotalSteps { get; set; } = "150";
    public string PromptsPerStep { get; set; } = "";
    public string GroupSize { get; set; } = "";
    public string EvalEvery { get; set; } = "50";

    /// <summary>The text of a grid field by its name (<see cref="GridFields"/>).</summary>
    public string GridText(string field) => field switch
    {
        FieldLambdaD => LambdaD,
        FieldLambdaL => LambdaL,
        FieldTau => Tau,
        _ => throw new ArgumentException($"\"{field}\" is not a grid field; use one of {string.Join(", ", GridFields)}", nameof(field)),
    };

    private string StepText(string field) => field switch
    {
        FieldTotalSteps => TotalSteps,
        FieldPromptsPerStep => PromptsPerStep,
        FieldGroupSize => GroupSize,
        _ => throw new ArgumentException($"\"{field}\" is not a step field", nameof(field)),
    };

    /// <summary>Arms in the order result tables list them (<see cref="ArmPresets.Names"/>), unknown ones after.</summary>
    public IReadOnlyList<string> OrderedArms =>
        ArmPresets.Names.Where(Arms.Contains).Concat(Arms.Where(a => !ArmPresets.Names.Contains(a)).Order(StringComparer.Ordinal)).ToList();

    /// <summary>The spec as indented JSON, and every field the form could not read (those are left out of the JSON).</summary>
    public FormSpec Build()
    {
        var errors = new List<FormError>();
        var root = new JsonObject { ["name"] = Name.Trim() };
        if (!string.IsNullOrWhiteSpace(Description)) root["description"] = Description.Trim();
        root["task"] = BuildTask(errors);
        root["model"] = BuildModel();

        var baseObject = new JsonObject();
        var grid = new JsonObject();
        foreach (var field in StepFields)
            if (ReadInt(StepText(field), field, errors) is { } n) baseObject[field] = n;
        foreach (var field in GridFields)
        {
            var values = ReadList(GridText(field), field, errors, ParseDouble);
            if (values.Count == 1) baseObject[field] = values[0];
            else if (values.Count > 1) grid[field] = new JsonArray(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
        }
        root["base"] = baseObject;
        root["arms"] = new JsonArray(OrderedArms.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray());
        if (grid.Count > 0) root["grid"] = grid;
        root["seeds"] = new JsonArray(ReadList(Seeds, FieldSeeds, errors, ParseInt).Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
        if (ReadInt(EvalEvery, FieldEvalEvery, errors) is { } every) root["eval"] = new JsonObject { ["everySteps"] = every };
        return new FormSpec(root.ToJsonString(JsonOptions), errors);
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private JsonObject BuildTask(List<FormError> errors)
    {
        var task = new JsonObject { ["kind"] = TaskKind };
        switch (TaskKind)
        {
            case "countdown":
                if (ReadInt(Numbers, FieldNumbers, errors) is { } numbers) task["numbers"] = numbers;
                break;
            case "arith":
                if (ReadInt(Operands, FieldOperands, errors) is { } operands) task["operands"] = operands;
                break;
            case "math":
                if (!string.IsNullOrWhiteSpace(TrainPath)) task["trainPath"] = TrainPath.Trim();
                var benchmarks = new JsonArray();
                foreach (var (line, i) in Benchmarks.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).Select((l, i) => (l, i)))
                {
                    var eq = line.IndexOf('=');
                    if (eq <= 0 || eq == line.Length - 1)
                    {
                        errors.Add(new(FieldBenchmarks, $"line {i + 1} \"{line}\": write NAME=/path/to/benchmark.jsonl"));
                        continue;
                    }
                    benchmarks.Add(new JsonObject { ["name"] = line[..eq].Trim(), ["path"] = line[(eq + 1)..].Trim() });
                }
                task["benchmarks"] = benchmarks;
                break;
        }
        return task;
    }

    private JsonObject BuildModel()
    {
        if (!string.IsNullOrWhiteSpace(Checkpoint)) return new JsonObject { ["checkpoint"] = Checkpoint.Trim() };
        var model = new JsonObject { ["preset"] = ModelPreset };
        if (!Sft) model["sft"] = new JsonObject { ["enabled"] = false };
        return model;
    }

    /// <summary>A whole number, or null for an empty field; anything else is a form error.</summary>
    private static int? ReadInt(string text, string field, List<FormError> errors)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (ParseInt(text.Trim()) is { } n) return n;
        errors.Add(new(field, $"\"{text.Trim()}\" is not a whole number"));
        return null;
    }

    /// <summary>Values separated by commas, semicolons or spaces; each unreadable one is a form error.</summary>
    public static IReadOnlyList<T> ReadList<T>(string text, string field, List<FormError> errors, Func<string, T?> parse) where T : struct
    {
        var values = new List<T>();
        foreach (var item in text.Split([',', ';', ' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (parse(item) is { } v) values.Add(v);
            else errors.Add(new(field, $"\"{item}\" is not {(typeof(T) == typeof(int) ? "a whole number" : "a number")}"));
        }
        return values;
    }

    public static double? ParseDouble(string s) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;

    public static int? ParseInt(string s) => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : null;

    /// <summary>The form field a Core spec error belongs to (by its JSON path), or null when no field shows it.</summary>
    public static string? FieldOf(SpecError error)
    {
        var path = error.Path;
        if (Under(path, "$.name")) return FieldName;
        if (Under(path, "$.task.numbers")) return FieldNumbers;
        if (Under(path, "$.task.operands")) return FieldOperands;
        if (Under(path, "$.task.trainPath")) return FieldTrainPath;
        if (Under(path, "$.task.benchmarks")) return FieldBenchmarks;
        if (Under(path, "$.task")) return FieldTask;
        if (Under(path, "$.model.checkpoint")) return FieldCheckpoint;
        if (Under(path, "$.model")) return FieldModel;
        if (Under(path, "$.arms")) return FieldArms;
        if (Under(path, "$.seeds")) return FieldSeeds;
        if (Under(path, "$.eval.everySteps")) return FieldEvalEvery;
        foreach (var field in GridFields.Concat(StepFields))
            if (Under(path, "$.base." + field) || Under(path, "$.grid." + field)) return field;
        return null;
    }

    // "$.a" covers "$.a", "$.a.b" and "$.a[0]", not "$.ab"
    private static bool Under(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.Ordinal) && (path.Length == prefix.Length || path[prefix.Length] is '.' or '[');
}
