using Dsdr.Core.Tasks;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Dsdr.Core.Sweeps;

/// <summary>
/// Reads and validates a sweep spec from JSON. Every problem found is reported (not just the first), each
/// with a JSON path and a reason that says how to fix it. The web API, the CLI and the form use this one
/// validator; <see cref="Validate"/> checks a spec built in code by writing and re-reading it.
/// </summary>
public static partial class SweepSpecParser
{
    public static readonly IReadOnlyList<string> TopLevelProperties =
        ["name", "description", "task", "model", "base", "arms", "grid", "search", "earlyStopping", "seeds", "eval", "resources", "maxTrials"];

    /// <summary>Spec names of <see cref="TargetChoice"/>: uniform among reachable targets, or weighted by the expressions reaching them.</summary>
    public static IReadOnlyDictionary<string, TargetChoice> TargetChoiceNames { get; } = new Dictionary<string, TargetChoice>(StringComparer.Ordinal)
    {
        ["uniform"] = TargetChoice.UniformReachable,
        ["byExpressions"] = TargetChoice.ByExpressions,
    };

    private static readonly string[] ModelProperties = ["preset", "checkpoint", "sft", "chatTemplate", "enableThinking", "instruction"];
    private static readonly string[] PromptProperties = ["chatTemplate", "enableThinking", "instruction"];

    /// <summary>Spec names of <see cref="ChatTemplateUse"/>.</summary>
    public static IReadOnlyDictionary<string, ChatTemplateUse> ChatTemplateNames { get; } = new Dictionary<string, ChatTemplateUse>(StringComparer.Ordinal)
    {
        ["auto"] = ChatTemplateUse.Auto,
        ["none"] = ChatTemplateUse.None,
    };
    private static readonly string[] SftProperties = ["enabled", "steps", "batchSize", "learningRate", "warmupSteps", "seed"];
    private static readonly string[] EvalProperties =
        ["everySteps", "atStart", "pass1Temperature", "pass1TopP", "avgK", "avgTemperature", "topP", "passKSamples",
         "diversityTemperature", "diversityTopP", "diversitySamples", "benchmarks"];
    private static readonly string[] ResourceProperties = ["device", "memoryGiB", "priority"];
    private static readonly string[] BenchmarkProperties = ["name", "path", "promptField", "answerField"];

    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex SweepNamePattern();

    /// <summary>Parses and validates a spec.</summary>
    public static SweepParseResult Parse(string json, SweepSpecParserOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DocumentOptions);
        }
        catch (JsonException ex)
        {
            return new(null, [MalformedJson(ex)]);
        }
        using (document)
            return Parse(document.RootElement, options);
    }

    /// <summary>Parses and validates a spec already read as JSON.</summary>
    public static SweepParseResult Parse(JsonElement root, SweepSpecParserOptions? options = null)
    {
        var reader = new SpecReader();
        var spec = reader.ReadSweep(root, options ?? SweepSpecParserOptions.Default);
        return reader.Errors.Count == 0 ? new(spec, []) : new(null, reader.Errors);
    }

    /// <summary>Validates a spec built in code (e.g. by a form); empty when valid.</summary>
    public static IReadOnlyList<SpecError> Validate(SweepSpec spec, SweepSpecParserOptions? options = null) =>
        Parse(SweepSpecWriter.ToJson(spec), options).Errors;

    private static SpecError MalformedJson(JsonException ex)
    {
        var message = ex.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber: ", StringComparison.Ordinal);
        if (cut >= 0) message = message[..cut];
        var where = ex.LineNumber is { } line
            ? $" at line {line + 1}, position {(ex.BytePositionInLine ?? 0) + 1}"
            : "";
        return new("$", $"malformed JSON{where}: {message.TrimEnd('.', ' ')}; fix the JSON syntax there");
    }

    /// <summary>"$.a.b" or "$['odd key']" for a child property.</summary>
    internal static string Child(string path, string name) =>
        IsIdentifier(name) ? $"{path}.{name}" : $"{path}['{name.Replace("\\", "\\\\").Replace("'", "\\'")}']";

    internal static string Index(string path, int index) => $"{path}[{index}]";

    private static bool IsIdentifier(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>The allowed name closest to <paramref name="name"/> (case or ≤ 2 edits), for "did you mean".</summary>
    internal static string? Suggest(string name, IEnumerable<string> allowed)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in allowed)
        {
            var distance = string.Equals(candidate, name, StringComparison.OrdinalIgnoreCase)
                ? 0
                : EditDistance(name.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance < bestDistance) { best = candidate; bestDistance = distance; }
        }
        return bestDistance <= Math.Max(1, Math.Min(2, name.Length / 3)) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    private static string Quoted(IEnumerable<string> names) => string.Join(", ", names);

    private static string Describe(JsonElement element) => HyperParameter.Describe(element);

    /// <summary>Walks the document, collecting errors; returns a spec only meaningful when no error was found.</summary>
    internal sealed class SpecReader
    {
        public List<SpecError> Errors { get; } = [];

        // The data roots, when the host confines spec files: a dataDir is listed only once it is known to lie inside them.
        private IReadOnlyList<string>? _roots;

        internal void Error(string path, string reason) => Errors.Add(new(path, reason));

        public SweepSpec? ReadSweep(JsonElement root, SweepSpecParserOptions options)
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                Error("$", $"a sweep spec must be a JSON object with {Quoted(TopLevelProperties)}, got {Describe(root)}");
                return null;
            }
            CheckProperties(root, "$", TopLevelProperties, "top-level property");
            _roots = options.DataRoots;

            var name = ReadName(root);
            string? description = null;
            if (root.TryGetProperty("description", out var d))
            {
                if (d.ValueKind == JsonValueKind.String) description = d.GetString();
                else if (d.ValueKind != JsonValueKind.Null) Error("$.description", $"must be a string, got {Describe(d)}");
            }

            var task = Required(root, "$", "task", "an object like {\"kind\": \"countdown\"}") is { } t ? ReadTask(t, "$.task") : null;
            var model = Required(root, "$", "model", "an object like {\"preset\": \"small\"} or {\"checkpoint\": \"/path/to/hf-model\"}") is { } m
                ? ReadModel(m, "$.model")
                : null;
            var baseOverrides = root.TryGetProperty("base", out var b) ? ReadBase(b, "$.base") : [];
            var errorsBeforeArms = Errors.Count;
            var arms = Required(root, "$", "arms", $"a non-empty array of arm names from {Quoted(ArmPresets.Names)}") is { } a
                ? ReadArms(a, "$.arms")
                : null;
            var armsValid = arms is not null && Errors.Count == errorsBeforeArms;
            var grid = root.TryGetProperty("grid", out var g) ? ReadGrid(g, "$.grid") : [];
            var search = root.TryGetProperty("search", out var se) && se.ValueKind != JsonValueKind.Null ? ReadSearch(se, "$.search", grid) : null;
            var seeds = Required(root, "$", "seeds", "a non-empty array of distinct integers, e.g. [0, 1, 2]") is { } s
                ? ReadSeeds(s, "$.seeds")
                : null;
            var eval = root.TryGetProperty("eval", out var e) ? ReadEval(e, "$.eval", task) : new EvalSpec();
            var resources = root.TryGetProperty("resources", out var r) ? ReadResources(r, "$.resources") : new ResourceSpec();
            var maxTrials = ReadInt(root, "$", "maxTrials", SweepSpec.DefaultMaxTrials,
                v => v >= 1 && v <= options.MaxTrialsCeiling ? null : $"must be between 1 and {options.MaxTrialsCeiling}");

            var earlyStopping = root.TryGetProperty("earlyStopping", out var es) && es.ValueKind != JsonValueKind.Null
                ? ReadEarlyStopping(es, "$.earlyStopping", task, eval)
                : null;

            if (armsValid && grid.Count > 0) CheckGridAgainstArms(grid, arms!);

            if (Errors.Count > 0 || name is null || task is null || model is null || arms is null || seeds is null || eval is null || resources is null)
                return null;

            var spec = new SweepSpec(name, description, task, model, baseOverrides, arms, grid, seeds, eval, resources, maxTrials, search, earlyStopping);
            CheckTrialCount(spec);
            if (earlyStopping?.Asha is { } asha) CheckRungs(spec, asha);
            foreach (var (where, problem) in TaskCapacity.Problems(task)) Error(where, problem);
            if (options.DataRoots is { } roots) CheckPaths(spec, roots);
            if (Errors.Count == 0) CheckResolvedConfigs(spec, options.Limits);
            return Errors.Count == 0 ? spec : null;
        }

        // ---- generic helpers ----

        internal void CheckProperties(JsonElement obj, string path, IReadOnlyCollection<string> allowed, string what,
            Func<string, string?>? explainForeign = null)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in obj.EnumerateObject())
            {
                var childPath = Child(path, property.Name);
                if (!seen.Add(property.Name))
                {
                    Error(childPath, "appears twice; keep one");
                    continue;
                }
                if (allowed.Contains(property.Name)) continue;
                var foreign = explainForeign?.Invoke(property.Name);
                if (foreign is not null) { Error(childPath, foreign); continue; }
                var suggestion = Suggest(property.Name, allowed);
                Error(childPath, $"unknown {what} \"{property.Name}\"; "
                    + (suggestion is not null ? $"did you mean \"{suggestion}\"? " : "")
                    + $"allowed: {Quoted(allowed)}");
            }
        }

        private JsonElement? Required(JsonElement obj, string path, string name, string expected)
        {
            if (obj.TryGetProperty(name, out var value)) return value;
            Error(Child(path, name), $"is required: give {expected}");
            return null;
        }

        private bool IsObject(JsonElement element, string path, string expected)
        {
            if (element.ValueKind == JsonValueKind.Object) return true;
            Error(path, $"must be {expected}, got {Describe(element)}");
            return false;
        }

        internal int ReadInt(JsonElement obj, string path, string name, int fallback, Func<int, string?> check)
        {
            if (!obj.TryGetProperty(name, out var value)) return fallback;
            var childPath = Child(path, name);
            if (!TryInt(value, out var i))
            {
                Error(childPath, $"must be a whole number, got {Describe(value)}");
                return fallback;
            }
            var problem = check(i);
            if (problem is not null) Error(childPath, $"{problem}, got {i}");
            return i;
        }

        private double ReadDouble(JsonElement obj, string path, string name, double fallback, Func<double, string?> check)
        {
            if (!obj.TryGetProperty(name, out var value)) return fallback;
            var childPath = Child(path, name);
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var x) || !double.IsFinite(x))
            {
                Error(childPath, $"must be a number, got {Describe(value)}");
                return fallback;
            }
            var problem = check(x);
            if (problem is not null) Error(childPath, $"{problem}, got {x.ToString("R", CultureInfo.InvariantCulture)}");
            return x;
        }

        private bool ReadBool(JsonElement obj, string path, string name, bool fallback)
        {
            if (!obj.TryGetProperty(name, out var value)) return fallback;
            if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) return value.GetBoolean();
            Error(Child(path, name), $"must be true or false, got {Describe(value)}");
            return fallback;
        }

        internal string? ReadString(JsonElement obj, string path, string name, bool required, string expected)
        {
            if (!obj.TryGetProperty(name, out var value))
            {
                if (required) Error(Child(path, name), $"is required: give {expected}");
                return null;
            }
            if (value.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(value.GetString())) return value.GetString();
            Error(Child(path, name), $"must be {expected}, got {Describe(value)}");
            return null;
        }

        internal TargetChoice ReadTargetChoice(JsonElement obj, string path, TargetChoice fallback)
        {
            var text = ReadString(obj, path, "targets", required: false, $"one of {string.Join(", ", TargetChoiceNames.Keys.Select(k => $"\"{k}\""))}");
            if (text is null) return fallback;
            if (TargetChoiceNames.TryGetValue(text, out var choice)) return choice;
            Error(Child(path, "targets"), $"unknown target choice \"{text}\"; use one of {string.Join(", ", TargetChoiceNames.Keys)}");
            return fallback;
        }

        private static bool TryInt(JsonElement value, out int result)
        {
            result = 0;
            if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var x) || x != Math.Floor(x)
                || x < int.MinValue || x > int.MaxValue)
                return false;
            result = (int)x;
            return true;
        }

        // ---- sections ----

        private string? ReadName(JsonElement root)
        {
            var name = ReadString(root, "$", "name", required: true, "a non-empty string such as \"countdown-ablation\"");
            if (name is not null && !SweepNamePattern().IsMatch(name))
            {
                Error("$.name", $"\"{name}\" is not a valid sweep name: use 1–100 letters, digits, '.', '_' or '-', starting with a letter or digit");
                return null;
            }
            return name;
        }

        internal TaskSpec? ReadTask(JsonElement element, string path)
        {
            if (!IsObject(element, path, "an object like {\"kind\": \"countdown\", \"numbers\": 3}")) return null;
            var families = TaskFamilies.Registry;
            if (!element.TryGetProperty("kind", out var kindElement))
            {
                Error(Child(path, "kind"), $"is required: give one of {Quoted(families.Names)}");
                return null;
            }
            var kindText = kindElement.ValueKind == JsonValueKind.String ? kindElement.GetString() : null;
            if (kindText is null || !families.TryGet(kindText, out var family))
            {
                Error(Child(path, "kind"), kindText is null
                    ? $"must be a string, one of {Quoted(families.Names)}; got {Describe(kindElement)}"
                    : families.UnknownReason(kindText));
                return null;
            }

            CheckProperties(element, path, family.Properties, $"{kindText} task property", name =>
            {
                var owners = families.All.Where(f => f.Properties.Contains(name)).Select(f => f.Name).ToList();
                return owners.Count == 0 ? null : $"does not apply to task kind \"{kindText}\" (it belongs to {string.Join(" and ", owners)}); remove it";
            });
            return family.Read(this, element, path, new TaskSpec { Kind = family.Kind });
        }

        internal IntRange ReadRange(JsonElement obj, string path, string name, IntRange fallback, int minimum)
        {
            if (!obj.TryGetProperty(name, out var element)) return fallback;
            var rangePath = Child(path, name);
            if (!IsObject(element, rangePath, "an object {\"min\": a, \"max\": b} with whole numbers a ≤ b")) return fallback;
            CheckProperties(element, rangePath, ["min", "max"], "range property");
            if (!element.TryGetProperty("min", out _) || !element.TryGetProperty("max", out _))
            {
                foreach (var bound in new[] { "min", "max" }.Where(b => !element.TryGetProperty(b, out _)))
                    Error(Child(rangePath, bound), "is required: a range needs both \"min\" and \"max\"");
                return fallback;
            }
            var before = Errors.Count;
            var min = ReadInt(element, rangePath, "min", fallback.Min, v => v >= minimum && v <= 1_000_000 ? null : $"must be between {minimum} and 1000000");
            var max = ReadInt(element, rangePath, "max", fallback.Max, v => v >= minimum && v <= 1_000_000 ? null : $"must be between {minimum} and 1000000");
            if (Errors.Count == before && min > max)
                Error(rangePath, $"min ({min}) is greater than max ({max}); swap them or widen the range");
            return new(min, max);
        }

        // A folder of datasets, split as the paper (MathFolder): expanded here into trainPath and benchmarks, so the stored
        // spec says which files each trial read. The field mapping applies to every file of the folder.
        internal TaskSpec ReadDataDir(JsonElement element, string path, TaskSpec task)
        {
            foreach (var other in new[] { "trainPath", "benchmarks" })
                if (element.TryGetProperty(other, out _)) Error(Child(path, other), "cannot be given with dataDir (the folder's split decides it); remove one of them");
            var dataDir = ReadString(element, path, "dataDir", required: true, "the absolute path of a folder of .parquet/.jsonl datasets");
            var trainSet = ReadString(element, path, "trainSet", required: false, "the name of the folder's training entry, e.g. \"DAPO-Math-17k\"");
            if (dataDir is null) return task;
            if (_roots is not null && SpecPaths.Problem(dataDir, _roots) is { } refused)
            {
                Error(Child(path, "dataDir"), refused);
                return task;
            }
            var (split, problem) = MathFolder.Of(dataDir, trainSet);
            if (split is null)
            {
                Error(Child(path, "dataDir"), problem!);
                return task;
            }
            return task with
            {
                TrainPath = split.Train.Path,
                Benchmarks = [.. split.Benchmarks.Select(b => new BenchmarkFile(b.Name, b.Path, task.PromptField, task.AnswerField))],
            };
        }

        internal List<BenchmarkFile> ReadBenchmarkFiles(JsonElement obj, string path)
        {
            var list = new List<BenchmarkFile>();
            var listPath = Child(path, "benchmarks");
            const string expected = "a non-empty array of {\"name\": \"MATH500\", \"path\": \"/data/math500.jsonl\"}";
            if (!obj.TryGetProperty("benchmarks", out var array))
            {
                Error(listPath, $"is required for math tasks: give {expected}");
                return list;
            }
            if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0)
            {
                Error(listPath, $"must be {expected}, got {(array.ValueKind == JsonValueKind.Array ? "an empty array" : Describe(array))}");
                return list;
            }
            var names = new Dictionary<string, int>(StringComparer.Ordinal);
            var i = 0;
            foreach (var item in array.EnumerateArray())
            {
                var itemPath = Index(listPath, i);
                if (IsObject(item, itemPath, "an object {\"name\": ..., \"path\": ...}"))
                {
                    CheckProperties(item, itemPath, BenchmarkProperties, "benchmark property");
                    var name = ReadString(item, itemPath, "name", required: true, "a non-empty benchmark name");
                    var file = ReadString(item, itemPath, "path", required: true, "the path of the benchmark's .jsonl or .parquet file (or a folder of them)");
                    var promptField = ReadString(item, itemPath, "promptField", required: false, "a field path such as \"problem\"");
                    var answerField = ReadString(item, itemPath, "answerField", required: false, "a field path such as \"answer\"");
                    if (name is not null && names.TryGetValue(name, out var first))
                        Error(Child(itemPath, "name"), $"duplicate benchmark name \"{name}\" (also at [{first}]); give each benchmark its own name");
                    else if (name is not null) names[name] = i;
                    if (name is not null && file is not null) list.Add(new(name, file, promptField, answerField));
                }
                i++;
            }
            return list;
        }

        internal ModelSpec? ReadModel(JsonElement element, string path)
        {
            if (!IsObject(element, path, "an object like {\"preset\": \"small\"} or {\"checkpoint\": \"/path/to/hf-model\"}")) return null;
            CheckProperties(element, path, ModelProperties, "model property");
            var hasPreset = element.TryGetProperty("preset", out _);
            var hasCheckpoint = element.TryGetProperty("checkpoint", out _);
            var presetNames = Quoted(ModelPresets.All.Select(p => p.Name));
            if (hasPreset == hasCheckpoint)
            {
                Error(path, hasPreset
                    ? "give either \"preset\" or \"checkpoint\", not both"
                    : $"needs \"preset\" (one of {presetNames}) or \"checkpoint\" (a Hugging Face model folder)");
                return null;
            }
            var preset = hasPreset ? ReadString(element, path, "preset", true, $"one of {presetNames}") : null;
            if (preset is not null && !ModelPresets.TryGet(preset, out _))
                Error(Child(path, "preset"), $"unknown model preset \"{preset}\"; use one of {presetNames}");
            var checkpoint = hasCheckpoint ? ReadString(element, path, "checkpoint", true, "the path of a Hugging Face model folder (config.json, *.safetensors, tokenizer.json)") : null;
            var sft = new SftSpec(Enabled: hasPreset);
            if (element.TryGetProperty("sft", out var sftElement))
            {
                var sftPath = Child(path, "sft");
                if (IsObject(sftElement, sftPath, "an object like {\"enabled\": true, \"steps\": 600}"))
                {
                    CheckProperties(sftElement, sftPath, SftProperties, "sft property");
                    sft = new SftSpec(
                        ReadBool(sftElement, sftPath, "enabled", true),
                        ReadInt(sftElement, sftPath, "steps", sft.Steps, v => v >= 1 ? SpecLimits.SftSteps.AboveMax(v) : "must be ≥ 1"),
                        ReadInt(sftElement, sftPath, "batchSize", sft.BatchSize, v => v >= 1 ? SpecLimits.SftBatchSize.AboveMax(v) : "must be ≥ 1"),
                        ReadDouble(sftElement, sftPath, "learningRate", sft.LearningRate, v => v > 0 ? SpecLimits.SftLearningRate.AboveMax(v) : "must be > 0"),
                        ReadInt(sftElement, sftPath, "warmupSteps", sft.WarmupSteps, v => v >= 0 ? SpecLimits.SftWarmupSteps.AboveMax(v) : "must be ≥ 0"),
                        ReadInt(sftElement, sftPath, "seed", sft.Seed, _ => null));
                }
            }
            var prompt = ReadPromptFields(element, path, hasPreset);
            return new ModelSpec(preset, checkpoint, sft) { ChatTemplate = prompt.ChatTemplate, EnableThinking = prompt.EnableThinking, Instruction = prompt.Instruction };
        }

        // chatTemplate, enableThinking, instruction: how a checkpoint's math prompt is written; a preset has no chat template.
        private (ChatTemplateUse ChatTemplate, bool EnableThinking, string Instruction) ReadPromptFields(JsonElement element, string path, bool preset)
        {
            if (preset)
            {
                foreach (var name in PromptProperties.Where(n => element.TryGetProperty(n, out _)))
                    Error(Child(path, name), "applies to a checkpoint's chat template only; a preset model (our char tokenizer) has none and keeps the raw prompt: remove it");
                return (ChatTemplateUse.Auto, false, ModelSpec.PaperInstruction);
            }
            var names = string.Join(" or ", ChatTemplateNames.Keys.Select(k => $"\"{k}\""));
            var text = ReadString(element, path, "chatTemplate", required: false, names);
            var use = ChatTemplateUse.Auto;
            if (text is not null && !ChatTemplateNames.TryGetValue(text, out use))
                Error(Child(path, "chatTemplate"), $"unknown value \"{text}\"; use {names} (auto: the model's tokenizer_config.json template when it has one; none: the raw problem text)");
            var thinking = ReadBool(element, path, "enableThinking", false);
            var instruction = ReadString(element, path, "instruction", required: false, "a non-empty text put after each math problem, such as the paper's \"" + ModelSpec.PaperInstruction + "\"");
            if (instruction is { Length: > SpecLimits.InstructionMaxLength })
                Error(Child(path, "instruction"), $"is {instruction.Length} characters; keep it to {SpecLimits.InstructionMaxLength}");
            return (use, thinking, instruction ?? ModelSpec.PaperInstruction);
        }

        private List<HyperAssignment> ReadBase(JsonElement element, string path)
        {
            var list = new List<HyperAssignment>();
            if (!IsObject(element, path, "an object of hyper-parameter overrides like {\"learningRate\": 1e-4, \"lambdaD\": 0.1}")) return list;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                var childPath = Child(path, property.Name);
                if (!seen.Add(property.Name)) { Error(childPath, "appears twice; keep one"); continue; }
                if (!KnownHyperParameter(property.Name, childPath, out var parameter)) continue;
                if (parameter.TryRead(property.Value, out var value, out var reason)) list.Add(new(property.Name, value));
                else Error(childPath, reason);
            }
            return list;
        }

        private bool KnownHyperParameter(string name, string path, out HyperParameter parameter)
        {
            if (name == HyperParameters.SeedName)
            {
                parameter = null!;
                Error(path, "the seed is set per trial from $.seeds; list seeds there instead");
                return false;
            }
            if (HyperParameters.TryGet(name, out parameter)) return true;
            var names = HyperParameters.InSpecs.Select(p => p.Name).ToList();
            var suggestion = Suggest(name, names);
            Error(path, $"unknown hyper-parameter \"{name}\"; "
                + (suggestion is not null ? $"did you mean \"{suggestion}\"? " : "")
                + $"known: {Quoted(names)}");
            return false;
        }

        private List<string>? ReadArms(JsonElement element, string path)
        {
            if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
            {
                Error(path, $"must be a non-empty array of arm names from {Quoted(ArmPresets.Names)}, got "
                    + (element.ValueKind == JsonValueKind.Array ? "an empty array" : Describe(element)));
                return null;
            }
            var arms = new List<string>();
            var i = 0;
            foreach (var item in element.EnumerateArray())
            {
                var itemPath = Index(path, i);
                var name = item.ValueKind == JsonValueKind.String ? item.GetString()! : null;
                if (name is null)
                    Error(itemPath, $"must be an arm name (a string) from {Quoted(ArmPresets.Names)}, got {Describe(item)}");
                else if (!ArmPresets.TryGet(name, out _))
                {
                    var suggestion = Suggest(name, ArmPresets.Names);
                    Error(itemPath, ArmPresets.UnknownArmReason(name) + (suggestion is not null ? $" (did you mean \"{suggestion}\"?)" : ""));
                }
                else if (arms.IndexOf(name) is var first and >= 0)
                    Error(itemPath, $"duplicate arm \"{name}\" (also at [{first}]); list each arm once");
                else
                    arms.Add(name);
                i++;
            }
            return arms;
        }

        private List<GridAxis> ReadGrid(JsonElement element, string path)
        {
            var axes = new List<GridAxis>();
            if (!IsObject(element, path, "an object mapping hyper-parameter names to value lists, like {\"lambdaD\": [0.001, 0.01]}")) return axes;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                var axisPath = Child(path, property.Name);
                if (!seen.Add(property.Name)) { Error(axisPath, "appears twice; keep one"); continue; }
                if (!KnownHyperParameter(property.Name, axisPath, out var parameter)) continue;
                var list = property.Value;
                if (list.ValueKind != JsonValueKind.Array)
                {
                    Error(axisPath, $"must be an array of values, like [{ExampleValue(parameter)}], got {Describe(list)}");
                    continue;
                }
                if (list.GetArrayLength() == 0)
                {
                    Error(axisPath, $"is an empty list: give at least one value, like [{ExampleValue(parameter)}], or remove the key");
                    continue;
                }
                var values = new List<object?>();
                var i = 0;
                foreach (var item in list.EnumerateArray())
                {
                    var itemPath = Index(axisPath, i);
                    if (!parameter.TryRead(item, out var value, out var reason)) Error(itemPath, reason);
                    else if (values.FindIndex(v => Equals(v, value)) is var first and >= 0)
                        Error(itemPath, $"duplicate value {parameter.Format(value)} (also at [{first}]); list each value once");
                    else values.Add(value);
                    i++;
                }
                axes.Add(new GridAxis(property.Name, values));
            }
            return axes;
        }

        private static readonly string[] SearchProperties = ["method", "trials", "seed", "space"];
        private static readonly string[] RangeProperties = ["min", "max", "scale"];

        /// <summary>
        /// {"method": "random"|"sobol", "trials": N ≥ 1, "seed": S ≥ 0, "space": {"lambdaD": {"min": 1e-4, "max": 1e-1, "scale": "log"}}}:
        /// number hyper-parameters only, min ≤ max, a log range with min &gt; 0, no key also on the grid, both ends in the parameter's range.
        /// </summary>
        private SearchSpec? ReadSearch(JsonElement element, string path, List<GridAxis> grid)
        {
            if (!IsObject(element, path, "an object like {\"method\": \"sobol\", \"trials\": 16, \"space\": {\"lambdaD\": {\"min\": 0.0001, \"max\": 0.1, \"scale\": \"log\"}}}"))
                return null;
            CheckProperties(element, path, SearchProperties, "search");
            var errors = Errors.Count;
            var method = SearchMethod.Random;
            if (!element.TryGetProperty("method", out var m)) Error(Child(path, "method"), "is missing: write \"random\" or \"sobol\"");
            else if (m.ValueKind == JsonValueKind.String && m.GetString() is "random" or "sobol") method = m.GetString() == "sobol" ? SearchMethod.Sobol : SearchMethod.Random;
            else Error(Child(path, "method"), $"must be \"random\" or \"sobol\", got {Describe(m)}");
            var trials = ReadInt(element, path, "trials", 0, v => v >= 1 ? null : "must be ≥ 1: the search's trial budget (points drawn per arm and grid point)");
            if (!element.TryGetProperty("trials", out _)) Error(Child(path, "trials"), "is missing: give the trial budget, e.g. 16");
            var seed = ReadInt(element, path, "seed", 0, v => v >= 0 ? null : "must be ≥ 0");
            var ranges = new List<SearchRange>();
            var spacePath = Child(path, "space");
            if (!element.TryGetProperty("space", out var space)) Error(spacePath, "is missing: map number hyper-parameters to {\"min\": …, \"max\": …, \"scale\": \"linear\"|\"log\"}");
            else if (IsObject(space, spacePath, "an object mapping hyper-parameter names to ranges"))
            {
                foreach (var property in space.EnumerateObject())
                {
                    var rangePath = Child(spacePath, property.Name);
                    if (!KnownHyperParameter(property.Name, rangePath, out var parameter)) continue;
                    if (parameter.Type != HyperType.Number) { Error(rangePath, $"\"{property.Name}\" is not a continuous number hyper-parameter; list its values on $.grid instead"); continue; }
                    if (grid.Any(a => a.Key == property.Name)) { Error(rangePath, $"\"{property.Name}\" is also a grid axis; keep it on one of $.grid and $.search"); continue; }
                    if (ranges.Any(r => r.Key == property.Name)) { Error(rangePath, "appears twice; keep one"); continue; }
                    if (!IsObject(property.Value, rangePath, "an object like {\"min\": 0.0001, \"max\": 0.1, \"scale\": \"log\"}")) continue;
                    CheckProperties(property.Value, rangePath, RangeProperties, "search range");
                    double? End(string key)
                    {
                        if (!property.Value.TryGetProperty(key, out var v)) { Error(Child(rangePath, key), "is missing"); return null; }
                        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out var d) || !double.IsFinite(d)) { Error(Child(rangePath, key), $"must be a number, got {Describe(v)}"); return null; }
                        if (parameter.Check(d) is { } reason) { Error(Child(rangePath, key), $"{d.ToString("R", CultureInfo.InvariantCulture)} {reason}"); return null; }
                        return d;
                    }
                    var min = End("min");
                    var max = End("max");
                    var log = false;
                    if (property.Value.TryGetProperty("scale", out var sc))
                    {
                        if (sc.ValueKind == JsonValueKind.String && sc.GetString() is "linear" or "log") log = sc.GetString() == "log";
                        else Error(Child(rangePath, "scale"), $"must be \"linear\" or \"log\", got {Describe(sc)}");
                    }
                    if (min is not { } lo || max is not { } hi) continue;
                    if (lo > hi) { Error(rangePath, $"min {lo.ToString("R", CultureInfo.InvariantCulture)} is greater than max {hi.ToString("R", CultureInfo.InvariantCulture)}; swap them"); continue; }
                    if (log && lo <= 0) { Error(Child(rangePath, "min"), $"a log range needs min > 0, got {lo.ToString("R", CultureInfo.InvariantCulture)}; raise it or use \"scale\": \"linear\""); continue; }
                    ranges.Add(new SearchRange(property.Name, lo, hi, log));
                }
                if (ranges.Count == 0 && Errors.Count == errors) Error(spacePath, "is empty: give at least one range, like {\"lambdaD\": {\"min\": 0.0001, \"max\": 0.1, \"scale\": \"log\"}}");
                if (method == SearchMethod.Sobol && ranges.Count > SobolSequence.MaxDimensions)
                    Error(spacePath, $"has {ranges.Count} ranges; a Sobol search takes at most {SobolSequence.MaxDimensions} (use \"random\" for more)");
            }
            return Errors.Count == errors ? new SearchSpec(method, trials, seed, ranges) : null;
        }

        private static readonly string[] EarlyStoppingProperties = ["asha", "diversityCollapse"];
        private static readonly string[] AshaProperties = ["metric", "rungs", "reductionFactor", "maximize"];
        private static readonly string[] CollapseProperties = ["metric", "fraction", "patience"];

        /// <summary>
        /// {"asha": {"metric": …, "rungs": [steps], "reductionFactor": 3, "maximize": true}, "diversityCollapse": {"metric": …,
        /// "fraction": 0.5, "patience": 2}}: metrics the sweep reports, rungs at evaluation steps for an evaluation figure,
        /// η ≥ 2, fraction in (0, 1), patience ≥ 1, and a step-0 evaluation for a collapse rule over an evaluation figure.
        /// The rungs are checked against the trials' total steps once the trials are known (<see cref="CheckRungs"/>).
        /// </summary>
        private EarlyStoppingSpec? ReadEarlyStopping(JsonElement element, string path, TaskSpec? task, EvalSpec? eval)
        {
            if (!IsObject(element, path, "an object like {\"asha\": {\"metric\": \"eval/countdown/avg@16\", \"rungs\": [50, 100]}}")) return null;
            CheckProperties(element, path, EarlyStoppingProperties, "early-stopping rule");
            var errors = Errors.Count;
            var benchmarks = eval is { Benchmarks.Count: > 0 } ? eval.Benchmarks : task?.BenchmarkNames ?? [];
            string? Metric(JsonElement rule, string rulePath, bool diversity)
            {
                var metric = ReadString(rule, rulePath, "metric", required: true, "a metric name, e.g. \"eval/<benchmark>/avg@16\" or \"reward/mean\"");
                if (metric is not null && task is not null && EarlyStoppingMetrics.Problem(metric, benchmarks, diversity) is { } problem)
                    Error(Child(rulePath, "metric"), problem);
                return metric;
            }

            AshaRule? asha = null;
            if (element.TryGetProperty("asha", out var a) && IsObject(a, Child(path, "asha"), "an object like {\"metric\": \"reward/mean\", \"rungs\": [10, 30]}"))
            {
                var ashaPath = Child(path, "asha");
                CheckProperties(a, ashaPath, AshaProperties, "ASHA property");
                var metric = Metric(a, ashaPath, diversity: false);
                var rungs = new List<int>();
                var rungsPath = Child(ashaPath, "rungs");
                if (!a.TryGetProperty("rungs", out var list)) Error(rungsPath, "is required: give the steps at which trials are compared, e.g. [50, 100]");
                else if (list.ValueKind != JsonValueKind.Array) Error(rungsPath, $"must be an array of steps, e.g. [50, 100], got {Describe(list)}");
                else
                {
                    var i = 0;
                    foreach (var item in list.EnumerateArray())
                    {
                        if (TryInt(item, out var rung)) rungs.Add(rung);
                        else Error(Index(rungsPath, i), $"must be a whole number of steps, got {Describe(item)}");
                        i++;
                    }
                }
                var reduction = ReadInt(a, ashaPath, "reductionFactor", 3, _ => null);
                var maximize = ReadBool(a, ashaPath, "maximize", true);
                asha = new AshaRule(metric ?? "", rungs, reduction, maximize);
                // the total steps are known once the trials are: the rungs' upper bound is checked by CheckRungs
                foreach (var (field, reason) in asha.Problems(int.MaxValue))
                    if (field != "metric" || metric is not null) Error($"{ashaPath}.{field}", reason);
                if (metric is not null && EarlyStoppingMetrics.IsEval(metric) && eval is { } e)
                    for (var r = 0; r < rungs.Count; r++)
                        if (rungs[r] >= 1 && rungs[r] % e.EverySteps != 0)
                            Error(Index(rungsPath, r), $"step {rungs[r]} is not an evaluation step (eval.everySteps = {e.EverySteps}), so \"{metric}\" never arrives there; use a multiple of {e.EverySteps}");
            }

            DiversityCollapseRule? collapse = null;
            if (element.TryGetProperty("diversityCollapse", out var c) && IsObject(c, Child(path, "diversityCollapse"), "an object like {\"metric\": \"entropy\", \"fraction\": 0.5, \"patience\": 2}"))
            {
                var collapsePath = Child(path, "diversityCollapse");
                CheckProperties(c, collapsePath, CollapseProperties, "diversity-collapse property");
                var metric = Metric(c, collapsePath, diversity: true);
                if (!c.TryGetProperty("fraction", out _)) Error(Child(collapsePath, "fraction"), "is required: the share of the backbone's value below which a trial counts as collapsed, e.g. 0.5");
                var fraction = ReadDouble(c, collapsePath, "fraction", 0.5, _ => null);
                var patience = ReadInt(c, collapsePath, "patience", 2, _ => null);
                collapse = new DiversityCollapseRule(metric ?? "", fraction, patience);
                foreach (var (field, reason) in collapse.Problems())
                    if (field != "metric" || metric is not null) Error($"{collapsePath}.{field}", reason);
                if (metric is not null && EarlyStoppingMetrics.IsEval(metric) && eval is { AtStart: false })
                    Error(Child(collapsePath, "metric"), $"\"{metric}\" is compared with the backbone's step-0 evaluation, but eval.atStart is false; set eval.atStart to true or watch \"{EarlyStoppingMetrics.Entropy}\"");
            }
            if (asha is null && collapse is null && Errors.Count == errors)
                Error(path, "names no rule: give \"asha\", \"diversityCollapse\" or both, or remove $.earlyStopping");
            return Errors.Count == errors ? new EarlyStoppingSpec(asha, collapse) : null;
        }

        /// <summary>Every ASHA rung must come before the end of the shortest trial (a rung at or past it compares nothing).</summary>
        private void CheckRungs(SweepSpec spec, AshaRule asha)
        {
            var shortest = SweepExpander.Points(spec).Select(p => ArmPresets.Get(p.Arm).Resolve(spec.Base, p.Point).TotalSteps).DefaultIfEmpty(int.MaxValue).Min();
            foreach (var (field, reason) in asha.Problems(shortest).Where(p => p.Field.StartsWith("rungs[", StringComparison.Ordinal)))
                Error($"$.earlyStopping.asha.{field}", reason);
        }

        private static string ExampleValue(HyperParameter parameter) => parameter.Type switch
        {
            HyperType.Boolean => "true, false",
            HyperType.Choice => string.Join(", ", parameter.Choices.Select(c => $"\"{c}\"")),
            _ => parameter.Format(parameter.Get(TrainingConfig.Default)),
        };

        private void CheckGridAgainstArms(List<GridAxis> grid, List<string> arms)
        {
            foreach (var axis in grid)
            {
                var presets = arms.Select(ArmPresets.Get).ToList();
                if (presets.All(p => p.Pins(axis.Key)))
                {
                    var pins = string.Join("; ", presets.Select(p => $"{p.Name} fixes {p.Pinned.First(x => x.Key == axis.Key)}"));
                    Error(Child("$.grid", axis.Key), $"no listed arm varies \"{axis.Key}\" ({pins}), so this axis changes no trial; remove it or add an arm such as dsdr");
                }
            }
        }

        private List<int>? ReadSeeds(JsonElement element, string path)
        {
            if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
            {
                Error(path, "must be a non-empty array of distinct whole numbers, e.g. [0, 1, 2], got "
                    + (element.ValueKind == JsonValueKind.Array ? "an empty array" : Describe(element)));
                return null;
            }
            var seeds = new List<int>();
            var i = 0;
            foreach (var item in element.EnumerateArray())
            {
                var itemPath = Index(path, i);
                if (!TryInt(item, out var seed)) Error(itemPath, $"must be a whole number, got {Describe(item)}");
                else if (seeds.IndexOf(seed) is var first and >= 0) Error(itemPath, $"duplicate seed {seed} (also at [{first}]); list each seed once");
                else seeds.Add(seed);
                i++;
            }
            return seeds;
        }

        internal EvalSpec? ReadEval(JsonElement element, string path, TaskSpec? task)
        {
            if (!IsObject(element, path, "an object like {\"everySteps\": 50, \"avgK\": 16}")) return null;
            CheckProperties(element, path, EvalProperties, "eval property");
            var defaults = new EvalSpec();
            var eval = new EvalSpec
            {
                EverySteps = ReadInt(element, path, "everySteps", defaults.EverySteps, v => v >= 1 ? SpecLimits.EvalEverySteps.AboveMax(v) : "must be ≥ 1"),
                AtStart = ReadBool(element, path, "atStart", defaults.AtStart),
                Pass1Temperature = ReadDouble(element, path, "pass1Temperature", defaults.Pass1Temperature, v => v > 0 ? SpecLimits.EvalTemperature.AboveMax(v) : "must be > 0"),
                Pass1TopP = ReadDouble(element, path, "pass1TopP", defaults.Pass1TopP, v => v > 0 && v <= 1 ? null : "must be in (0, 1]"),
                AvgK = ReadInt(element, path, "avgK", defaults.AvgK, v => v is >= 1 and <= 1024 ? null : "must be between 1 and 1024"),
                AvgTemperature = ReadDouble(element, path, "avgTemperature", defaults.AvgTemperature, v => v > 0 ? SpecLimits.EvalTemperature.AboveMax(v) : "must be > 0"),
                TopP = ReadDouble(element, path, "topP", defaults.TopP, v => v > 0 && v <= 1 ? null : "must be in (0, 1]"),
                PassKSamples = ReadInt(element, path, "passKSamples", defaults.PassKSamples, v => v is >= 1 and <= 1024 ? null : "must be between 1 and 1024"),
                DiversityTemperature = ReadDouble(element, path, "diversityTemperature", defaults.DiversityTemperature, v => v > 0 ? SpecLimits.EvalTemperature.AboveMax(v) : "must be > 0"),
                DiversityTopP = ReadDouble(element, path, "diversityTopP", defaults.DiversityTopP, v => v > 0 && v <= 1 ? null : "must be in (0, 1]"),
                DiversitySamples = ReadInt(element, path, "diversitySamples", defaults.DiversitySamples,
                    v => v is >= 0 and <= 1024 ? null : "must be between 0 (no diversity-temperature rollouts) and 1024"),
            };
            if (!element.TryGetProperty("benchmarks", out var list)) return eval;
            var listPath = Child(path, "benchmarks");
            if (list.ValueKind != JsonValueKind.Array)
            {
                Error(listPath, $"must be an array of benchmark names, got {Describe(list)}");
                return eval;
            }
            var known = task?.BenchmarkNames;
            var names = new List<string>();
            var i = 0;
            foreach (var item in list.EnumerateArray())
            {
                var itemPath = Index(listPath, i++);
                var name = item.ValueKind == JsonValueKind.String ? item.GetString()! : null;
                if (name is null) Error(itemPath, $"must be a benchmark name (a string), got {Describe(item)}");
                else if (known is not null && !known.Contains(name))
                    Error(itemPath, $"unknown benchmark \"{name}\" for this task; use one of {Quoted(known)}");
                else if (names.IndexOf(name) is var first and >= 0) Error(itemPath, $"duplicate benchmark \"{name}\" (also at [{first}]); list it once");
                else names.Add(name);
            }
            return eval with { Benchmarks = names };
        }

        internal ResourceSpec? ReadResources(JsonElement element, string path)
        {
            if (!IsObject(element, path, "an object like {\"device\": \"cpu\", \"memoryGiB\": 2, \"priority\": 0}")) return null;
            CheckProperties(element, path, ResourceProperties, "resources property");
            var defaults = new ResourceSpec();
            var device = defaults.Device;
            if (element.TryGetProperty("device", out var d))
            {
                var text = d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                if (text is null || !SweepSpecWriter.TryParseDevice(text, out device))
                    Error(Child(path, "device"), $"must be \"cpu\" or \"cuda\", got {Describe(d)}");
            }
            return new ResourceSpec(
                device,
                ReadDouble(element, path, "memoryGiB", defaults.MemoryGiB, v => v > 0 && v <= 4096 ? null : "must be in (0, 4096]"),
                ReadInt(element, path, "priority", defaults.Priority, v => v is >= -1000 and <= 1000 ? null : "must be between -1000 and 1000"));
        }

        private void CheckTrialCount(SweepSpec spec)
        {
            var count = SweepExpander.CountTrials(spec);
            if (count <= spec.MaxTrials) return;
            var perArm = string.Join(", ", spec.Arms.Select(a => $"{a}: {SweepExpander.CountGridPoints(spec, a):0}"));
            Error("$.maxTrials", $"the sweep expands to {count:0} trials (grid points per arm {perArm}; × {spec.Seeds.Count} seeds), "
                + $"more than maxTrials = {spec.MaxTrials}; shrink $.grid, $.arms or $.seeds, or raise maxTrials");
        }

        /// <summary>The spec's files (math training and benchmark files, a checkpoint folder) must lie inside the data roots.</summary>
        private void CheckPaths(SweepSpec spec, IReadOnlyList<string> roots)
        {
            foreach (var (where, value) in SpecPaths.Of(spec.Task, spec.Model))
                if (SpecPaths.ProblemReading(value, roots) is { } problem) Error(where, problem);
        }

        private void CheckResolvedConfigs(SweepSpec spec, SpecLimitOptions limits)
        {
            if (spec.Model.Preset is not null && spec.Model.Sft.Enabled && spec.Model.Sft.Steps > limits.MaxStepsPerTrial)
                Error("$.model.sft.steps", $"{spec.Model.Sft.Steps} SFT steps exceed this platform's limit of {limits.MaxStepsPerTrial} steps per trial " +
                    "(Dsdr:Limits:MaxStepsPerTrial); lower model.sft.steps");
            var reported = new HashSet<string>(StringComparer.Ordinal);
            var perSource = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var (arm, point) in SweepExpander.Points(spec))
            {
                var config = ArmPresets.Get(arm).Resolve(spec.Base, point);
                var row = SweepExpander.RowLabel(arm, point);
                var problems = ConfigProblems(config).Select(p => (p.Keys, Fallback: "$.base", p.Problem))
                    .Concat(TrialCostEstimate.Problems(config, spec, limits).Select(p => (p.Keys, Fallback: p.Path, Problem: p.Reason)));
                foreach (var (keys, fallback, problem) in problems)
                {
                    // Point at what the user wrote: a grid axis first, then a base override, else the defaults.
                    var gridKey = keys.FirstOrDefault(k => spec.Grid.Any(a => a.Key == k));
                    var baseKey = keys.FirstOrDefault(k => spec.Base.Any(a => a.Key == k));
                    var source = gridKey is not null ? $"$.grid.{gridKey}" : baseKey is not null ? $"$.base.{baseKey}" : fallback;
                    // a few rows per field say enough (a grid of thousands would otherwise repeat it thousands of times)
                    if (reported.Add(source + problem) && (perSource[source] = perSource.GetValueOrDefault(source) + 1) <= 3)
                        Error(source, $"{problem} (trial row \"{row}\")");
                }
            }
        }

        /// <summary>Checks that involve two hyper-parameters at once.</summary>
        private static IEnumerable<(string[] Keys, string Problem)> ConfigProblems(TrainingConfig c)
        {
            if (c.WarmupSteps > c.TotalSteps)
                yield return (["warmupSteps", "totalSteps"], $"warmupSteps ({c.WarmupSteps}) exceeds totalSteps ({c.TotalSteps}); lower it or raise totalSteps");
            if (c.MiniBatchesPerStep > c.PromptsPerStep)
                yield return (["miniBatchesPerStep", "promptsPerStep"], $"miniBatchesPerStep ({c.MiniBatchesPerStep}) exceeds promptsPerStep ({c.PromptsPerStep}); each mini-batch needs at least one prompt group");
            if (c.OverlongBuffer && c.OverlongBufferLength >= c.MaxNewTokens)
                yield return (["overlongBufferLength", "maxNewTokens"], $"overlongBufferLength ({c.OverlongBufferLength}) must be < maxNewTokens ({c.MaxNewTokens}) when the overlong buffer is on (arm dapo)");
        }
    }
}
