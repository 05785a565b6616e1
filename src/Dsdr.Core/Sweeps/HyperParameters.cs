using System.Globalization;
using System.Text.Json;
using Dsdr.Core.Method;

namespace Dsdr.Core.Sweeps;

/// <summary>The JSON type a hyper-parameter takes.</summary>
public enum HyperType
{
    /// <summary>A finite JSON number; stored as <see cref="double"/>.</summary>
    Number,
    /// <summary>A finite JSON number or null; stored as <see cref="double"/> or null.</summary>
    NullableNumber,
    /// <summary>A whole JSON number; stored as <see cref="int"/>.</summary>
    Integer,
    /// <summary>true / false; stored as <see cref="bool"/>.</summary>
    Boolean,
    /// <summary>One of a fixed set of strings; stored as the enum value.</summary>
    Choice,
}

/// <summary>
/// One settable field of <see cref="TrainingConfig"/>: its JSON name, type, range check, getter and setter.
/// The table in <see cref="HyperParameters"/> drives base overrides, grid validation, resolution and labels.
/// </summary>
public sealed class HyperParameter
{
    internal HyperParameter(string name, string label, HyperType type, IReadOnlyList<string>? choices,
        Func<object?, string?> check, Func<TrainingConfig, object?> get, Func<TrainingConfig, object?, TrainingConfig> set,
        Func<string, object?>? choiceValue = null, Func<object?, string>? choiceName = null, bool identityOmitsDefault = false)
    {
        Name = name; Label = label; Type = type; Choices = choices ?? []; IdentityOmitsDefault = identityOmitsDefault;
        _check = check; _get = get; _set = set; _choiceValue = choiceValue; _choiceName = choiceName;
    }

    private readonly Func<object?, string?> _check;
    private readonly Func<TrainingConfig, object?> _get;
    private readonly Func<TrainingConfig, object?, TrainingConfig> _set;
    private readonly Func<string, object?>? _choiceValue;
    private readonly Func<object?, string>? _choiceName;

    /// <summary>JSON name, e.g. "lambdaD".</summary>
    public string Name { get; }
    /// <summary>Short label for row names, e.g. "λd".</summary>
    public string Label { get; }
    public HyperType Type { get; }
    /// <summary>Allowed strings of a <see cref="HyperType.Choice"/> parameter.</summary>
    public IReadOnlyList<string> Choices { get; }

    /// <summary>
    /// A parameter added after trials were stored: at its default value it is left out of the trial's identity
    /// (<see cref="TrialIdentity"/>), so existing trials keep their ids.
    /// </summary>
    public bool IdentityOmitsDefault { get; }

    public object? Get(TrainingConfig config) => _get(config);
    public TrainingConfig Set(TrainingConfig config, object? value) => _set(config, value);

    /// <summary>Reason the (typed) value is out of range, or null when it is acceptable.</summary>
    public string? Check(object? value) => _check(value);

    /// <summary>Reads a JSON value into the parameter's .NET type; on failure gives a reason that says what is expected.</summary>
    public bool TryRead(JsonElement element, out object? value, out string reason)
    {
        value = null; reason = "";
        switch (Type)
        {
            case HyperType.Number or HyperType.NullableNumber:
                if (Type == HyperType.NullableNumber && element.ValueKind == JsonValueKind.Null) return true;
                if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out var d) || !double.IsFinite(d))
                {
                    reason = $"must be a number{(Type == HyperType.NullableNumber ? " or null" : "")}, got {Describe(element)}";
                    return false;
                }
                value = d;
                break;
            case HyperType.Integer:
                if (element.ValueKind != JsonValueKind.Number || !element.TryGetDouble(out var x) || x != Math.Floor(x)
                    || x < int.MinValue || x > int.MaxValue)
                {
                    reason = $"must be a whole number, got {Describe(element)}";
                    return false;
                }
                value = (int)x;
                break;
            case HyperType.Boolean:
                if (element.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    reason = $"must be true or false, got {Describe(element)}";
                    return false;
                }
                value = element.GetBoolean();
                break;
            case HyperType.Choice:
                var text = element.ValueKind == JsonValueKind.String ? element.GetString() : null;
                var parsed = text is null ? null : _choiceValue!(text);
                if (parsed is null)
                {
                    reason = $"must be one of {string.Join(", ", Choices.Select(c => $"\"{c}\""))}, got {Describe(element)}";
                    return false;
                }
                value = parsed;
                break;
        }
        var range = Check(value);
        if (range is not null) { reason = $"{range}, got {Format(value)}"; return false; }
        return true;
    }

    /// <summary>The value for display: 0.01, true, token-mean.</summary>
    public string Format(object? value) => value switch
    {
        null => "null",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ when _choiceName is not null => _choiceName(value),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>Writes the value as JSON (choices as their JSON strings).</summary>
    public void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case double d: writer.WriteNumberValue(d); break;
            case int i: writer.WriteNumberValue(i); break;
            case bool b: writer.WriteBooleanValue(b); break;
            default: writer.WriteStringValue(Format(value)); break;
        }
    }

    internal static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Truncate(element.GetString() ?? "")}\"",
        JsonValueKind.Number => $"the number {element.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {element.GetRawText()}",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => element.ValueKind.ToString(),
    };

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";

    public override string ToString() => Name;
}

/// <summary>The table of <see cref="TrainingConfig"/>'s settable fields, in declaration order.</summary>
public static class HyperParameters
{
    public static IReadOnlyList<HyperParameter> All { get; } = Build();

    /// <summary>The JSON name of the seed, which a trial takes from the spec's seeds, not from its base or grid.</summary>
    public const string SeedName = "seed";

    /// <summary>The parameters a spec's base and grid may set: all but the seed.</summary>
    public static IReadOnlyList<HyperParameter> InSpecs { get; } = All.Where(p => p.Name != SeedName).ToList();

    private static readonly Dictionary<string, HyperParameter> ByName = All.ToDictionary(p => p.Name, StringComparer.Ordinal);

    /// <summary>Looks a parameter up by its exact JSON name.</summary>
    public static bool TryGet(string name, out HyperParameter parameter) => ByName.TryGetValue(name, out parameter!);

    public static HyperParameter Get(string name) => TryGet(name, out var p)
        ? p
        : throw new ArgumentException($"unknown hyper-parameter \"{name}\"; known: {string.Join(", ", All.Select(x => x.Name))}", nameof(name));

    /// <summary>Applies assignments in order to a config.</summary>
    public static TrainingConfig Apply(TrainingConfig config, IEnumerable<HyperAssignment> assignments) =>
        assignments.Aggregate(config, (c, a) => Get(a.Key).Set(c, a.Value));

    private static string? Positive(object? v) => v is double d && d > 0 || v is int i && i > 0 ? null : "must be > 0";
    private static string? NonNegative(object? v) => v is double d && d >= 0 || v is int i && i >= 0 ? null : "must be ≥ 0";
    private static string? Any(object? v) => null;
    private static string? AtLeast(object? v, int min) => v is int i && i >= min ? null : $"must be ≥ {min}";
    private static string? Fraction(object? v) => v is double d && d > 0 && d < 1 ? null : "must be in (0, 1)";

    private static List<HyperParameter> Build()
    {
        HyperParameter N(string name, string label, Func<object?, string?> check, Func<TrainingConfig, double> get,
            Func<TrainingConfig, double, TrainingConfig> set) =>
            new(name, label, HyperType.Number, null, v => check(v) ?? SpecLimits.HyperAboveMax(name, v), c => get(c), (c, v) => set(c, (double)v!));
        HyperParameter I(string name, string label, Func<object?, string?> check, Func<TrainingConfig, int> get,
            Func<TrainingConfig, int, TrainingConfig> set, bool identityOmitsDefault = false) =>
            new(name, label, HyperType.Integer, null, v => check(v) ?? SpecLimits.HyperAboveMax(name, v), c => get(c), (c, v) => set(c, (int)v!),
                identityOmitsDefault: identityOmitsDefault);
        HyperParameter B(string name, string label, Func<TrainingConfig, bool> get, Func<TrainingConfig, bool, TrainingConfig> set,
            bool identityOmitsDefault = false) =>
            new(name, label, HyperType.Boolean, null, Any, c => get(c), (c, v) => set(c, (bool)v!), identityOmitsDefault: identityOmitsDefault);
        HyperParameter E<T>(string name, string label, Func<TrainingConfig, T> get, Func<TrainingConfig, T, TrainingConfig> set,
            Func<T, string> toName, bool identityOmitsDefault = false) where T : struct, Enum
        {
            var names = Enum.GetValues<T>().ToDictionary(toName, v => v, StringComparer.Ordinal);
            return new(name, label, HyperType.Choice, names.Keys.ToList(), Any, c => get(c), (c, v) => set(c, (T)v!),
                s => names.TryGetValue(s, out var e) ? e : null, v => toName((T)v!), identityOmitsDefault);
        }
        // a choice among the registered parts of one kind, stored as its name
        HyperParameter R<T>(string name, string label, Registry<T> registry, Func<TrainingConfig, string> get,
            Func<TrainingConfig, string, TrainingConfig> set, bool identityOmitsDefault = true) where T : class, IRegistered =>
            new(name, label, HyperType.Choice, registry.Names, Any, c => get(c), (c, v) => set(c, (string)v!),
                s => registry.TryGet(s, out var item) ? item.Name : null, v => (string)v!, identityOmitsDefault);

        return
        [
            N("learningRate", "lr", Positive, c => c.LearningRate, (c, v) => c with { LearningRate = v }),
            I("warmupSteps", "warmup", NonNegative, c => c.WarmupSteps, (c, v) => c with { WarmupSteps = v }),
            I("totalSteps", "steps", v => AtLeast(v, 1), c => c.TotalSteps, (c, v) => c with { TotalSteps = v }),
            I("promptsPerStep", "B", v => AtLeast(v, 1), c => c.PromptsPerStep, (c, v) => c with { PromptsPerStep = v }),
            I("groupSize", "G", v => AtLeast(v, 2) is null ? null : "must be ≥ 2 (a group of one has no advantage signal)",
                c => c.GroupSize, (c, v) => c with { GroupSize = v }),
            I("miniBatchesPerStep", "minibatches", v => AtLeast(v, 1), c => c.MiniBatchesPerStep, (c, v) => c with { MiniBatchesPerStep = v }),
            I("ppoEpochs", "epochs", v => AtLeast(v, 1), c => c.PpoEpochs, (c, v) => c with { PpoEpochs = v }),
            N("gradClip", "gradclip", Positive, c => c.GradClip, (c, v) => c with { GradClip = v }),
            N("clipLow", "εlow", Fraction, c => c.ClipLow, (c, v) => c with { ClipLow = v }),
            N("clipHigh", "εhigh", Positive, c => c.ClipHigh, (c, v) => c with { ClipHigh = v }),
            new("dualClip", "c", HyperType.NullableNumber, null,
                v => v is null || v is double d && d > 1 ? SpecLimits.HyperAboveMax("dualClip", v) : "must be > 1, or null to turn dual-clip off",
                c => c.DualClip, (c, v) => c with { DualClip = (double?)v }),
            R("policyLoss", "loss", MethodRegistries.PolicyLosses, c => c.PolicyLoss, (c, v) => c with { PolicyLoss = v }),
            R("lossAggregation", "agg", MethodRegistries.LossAggregations, c => c.LossAggregation, (c, v) => c with { LossAggregation = v },
                identityOmitsDefault: false),
            N("klBeta", "β", NonNegative, c => c.KlBeta, (c, v) => c with { KlBeta = v }),
            E("klEstimator", "kl", c => c.KlEstimator, (c, v) => c with { KlEstimator = v }, JsonName),
            N("lambdaD", "λd", NonNegative, c => c.LambdaD, (c, v) => c with { LambdaD = v }),
            N("lambdaL", "λℓ", NonNegative, c => c.LambdaL, (c, v) => c with { LambdaL = v }),
            R("entropyTerm", "H", MethodRegistries.EntropyTerms, c => c.EntropyTerm, (c, v) => c with { EntropyTerm = v }),
            N("tau", "τ", NonNegative, c => c.Tau, (c, v) => c with { Tau = v }),
            N("sigmaD", "σd", v => v is double d && d > 0 && d <= 1 ? null : "must be in (0, 1]",
                c => c.SigmaD, (c, v) => c with { SigmaD = v }),
            N("epsilon", "ε", Positive, c => c.Epsilon, (c, v) => c with { Epsilon = v }),
            E("semanticNeighbours", "neighbours", c => c.SemanticNeighbours, (c, v) => c with { SemanticNeighbours = v },
                SemanticNeighboursJsonConverter.ToName),
            B("stdNormalize", "std", c => c.StdNormalize, (c, v) => c with { StdNormalize = v }),
            R("advantageEstimator", "A", MethodRegistries.AdvantageEstimators, c => c.AdvantageEstimator, (c, v) => c with { AdvantageEstimator = v }),
            B("dynamicSampling", "dynsampling", c => c.DynamicSampling, (c, v) => c with { DynamicSampling = v }),
            I("maxGenerationRounds", "rounds", v => AtLeast(v, 1), c => c.MaxGenerationRounds, (c, v) => c with { MaxGenerationRounds = v }),
            B("overlongBuffer", "overlong", c => c.OverlongBuffer, (c, v) => c with { OverlongBuffer = v }),
            I("overlongBufferLength", "buffer", v => AtLeast(v, 1), c => c.OverlongBufferLength, (c, v) => c with { OverlongBufferLength = v }),
            N("overlongPenaltyFactor", "penalty", NonNegative, c => c.OverlongPenaltyFactor, (c, v) => c with { OverlongPenaltyFactor = v }),
            N("temperature", "T", Positive, c => c.Temperature, (c, v) => c with { Temperature = v }),
            I("maxNewTokens", "maxtokens", v => AtLeast(v, 1), c => c.MaxNewTokens, (c, v) => c with { MaxNewTokens = v }),
            B("gradientCheckpointing", "ckpt", c => c.GradientCheckpointing, (c, v) => c with { GradientCheckpointing = v }, identityOmitsDefault: true),
            I("maxTokensPerMicroBatch", "microtokens", NonNegative, c => c.MaxTokensPerMicroBatch, (c, v) => c with { MaxTokensPerMicroBatch = v },
                identityOmitsDefault: true),
            E("precision", "precision", c => c.Precision, (c, v) => c with { Precision = v }, JsonName, identityOmitsDefault: true),
            I(SeedName, "seed", Any, c => c.Seed, (c, v) => c with { Seed = v }),
        ];
    }

    private static string JsonName<T>(T value) where T : struct, Enum =>
        JsonSerializer.Serialize(value).Trim('"');
}

/// <summary>One hyper-parameter set to one value (a base override or one coordinate of a grid point).</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(HyperAssignmentJsonConverter))]
public sealed record HyperAssignment(string Key, object? Value)
{
    public override string ToString() => $"{Key}={HyperParameters.Get(Key).Format(Value)}";
}
