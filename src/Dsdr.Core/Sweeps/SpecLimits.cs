using System.Globalization;

namespace Dsdr.Core.Sweeps;

/// <summary>
/// The allowed interval of one numeric spec field, e.g. groupSize ∈ [2, 1024] or learningRate ∈ (0, 1]. The lower end is
/// checked where the field is read (with its own wording); <see cref="AboveMax"/> adds the upper end, so an absurd but
/// well-formed value (groupSize 10⁶, learningRate 1e308) is refused at submission.
/// </summary>
/// <param name="Field">Where the field lives in a spec: "$.base.groupSize" style, base/grid keys as "$.base.KEY".</param>
/// <param name="Why">Why the upper end is where it is (said in the error).</param>
public sealed record SpecRange(string Field, double Min, double Max, bool MinExclusive = false, bool MaxExclusive = false, string? Why = null)
{
    /// <summary>min ≤ v ≤ max (strict where the end is exclusive).</summary>
    public bool Contains(double value) =>
        (MinExclusive ? value > Min : value >= Min) && (MaxExclusive ? value < Max : value <= Max);

    /// <summary>"[2, 1024]", "(0, 1]".</summary>
    public string Interval => $"{(MinExclusive ? "(" : "[")}{Number(Min)}, {Number(Max)}{(MaxExclusive ? ")" : "]")}";

    /// <summary>The reason a value above the upper end is refused, or null when it is not above it.</summary>
    public string? AboveMax(double value) =>
        (MaxExclusive ? value < Max : value <= Max) || double.IsNaN(value)
            ? null
            : $"must be {(MaxExclusive ? "<" : "≤")} {Number(Max)} (allowed: {Interval}{(Why is null ? "" : "; " + Why)})";

    /// <summary>Both ends at once, for fields without a lower-end wording of their own.</summary>
    public string? Check(double value) => Contains(value) ? null : $"must be in {Interval}{(Why is null ? "" : " (" + Why + ")")}";

    internal static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>
/// The documented range of every size and rate a sweep spec sets (examples/README.md lists them; a test keeps the two
/// in step). These are the spec's own bounds; what one trial may cost on this platform is the operator's
/// (<see cref="SpecLimitOptions"/>), checked against <see cref="TrialCostEstimate"/>.
/// </summary>
public static class SpecLimits
{
    /// <summary>Longest rollout a trial may ask for, in tokens (prompt excluded).</summary>
    public const int MaxNewTokensCeiling = 32_768;
    /// <summary>Most steps a spec may give (the operator's limit is usually lower).</summary>
    public const int StepsCeiling = 1_000_000;
    /// <summary>Longest model.instruction, in characters (it is put after every math problem).</summary>
    public const int InstructionMaxLength = 2_000;

    private const string PerStep = "every step generates promptsPerStep × groupSize rollouts at once";

    /// <summary>Ranges of the hyper-parameters (keys of base and grid), by JSON name.</summary>
    public static IReadOnlyDictionary<string, SpecRange> HyperParameters { get; } = new[]
    {
        Hyper("learningRate", 0, 1, minExclusive: true),
        Hyper("warmupSteps", 0, StepsCeiling),
        Hyper("totalSteps", 1, StepsCeiling, why: "the operator's Dsdr:Limits:MaxStepsPerTrial is usually lower"),
        Hyper("promptsPerStep", 1, 4096, why: PerStep),
        Hyper("groupSize", 2, 1024, why: PerStep),
        Hyper("miniBatchesPerStep", 1, 4096),
        Hyper("ppoEpochs", 1, 100),
        Hyper("gradClip", 0, 1e6, minExclusive: true),
        Hyper("clipLow", 0, 1, minExclusive: true, maxExclusive: true),
        Hyper("clipHigh", 0, 10, minExclusive: true),
        Hyper("dualClip", 1, 1e6, minExclusive: true),
        Hyper("klBeta", 0, 1000),
        Hyper("lambdaD", 0, 1000),
        Hyper("lambdaL", 0, 1000),
        Hyper("tau", 0, 1000),
        Hyper("sigmaD", 0, 1, minExclusive: true),
        Hyper("epsilon", 0, 1, minExclusive: true),
        Hyper("maxGenerationRounds", 1, 64, why: "each round generates a whole step's rollouts again"),
        Hyper("overlongBufferLength", 1, MaxNewTokensCeiling),
        Hyper("overlongPenaltyFactor", 0, 1000),
        Hyper("temperature", 0, 100, minExclusive: true),
        Hyper("maxNewTokens", 1, MaxNewTokensCeiling, why: "each rollout's KV cache and activations grow with it"),
        Hyper("maxTokensPerMicroBatch", 0, 1 << 30),
    }.ToDictionary(r => r.Field["$.base.".Length..], StringComparer.Ordinal);

    public static SpecRange EvalEverySteps { get; } = new("$.eval.everySteps", 1, StepsCeiling);
    public static SpecRange EvalTemperature { get; } = new("$.eval.*Temperature", 0, 100, MinExclusive: true);
    public static SpecRange EvalTopP { get; } = new("$.eval.*TopP", 0, 1, MinExclusive: true);
    public static SpecRange EvalSamples { get; } = new("$.eval.avgK, passKSamples", 1, 1024);
    public static SpecRange EvalDiversitySamples { get; } = new("$.eval.diversitySamples", 0, 1024);
    public static SpecRange SftSteps { get; } = new("$.model.sft.steps", 1, StepsCeiling);
    public static SpecRange SftBatchSize { get; } = new("$.model.sft.batchSize", 1, 4096);
    public static SpecRange SftLearningRate { get; } = new("$.model.sft.learningRate", 0, 1, MinExclusive: true);
    public static SpecRange SftWarmupSteps { get; } = new("$.model.sft.warmupSteps", 0, StepsCeiling);
    public static SpecRange TrainSize { get; } = new("$.task.trainSize", 1, 10_000_000);
    public static SpecRange HeldOutSize { get; } = new("$.task.heldOutSize", 1, 1_000_000);
    public static SpecRange TaskNumber { get; } = new("$.task.numberRange, targetRange (min, max)", 1, 1_000_000);
    public static SpecRange Operands { get; } = new("$.task.operands", 2, 8);
    public static SpecRange MinSolutions { get; } = new("$.task.minSolutions", 1, 100);
    public static SpecRange MemoryGiB { get; } = new("$.resources.memoryGiB", 0, 4096, MinExclusive: true);
    public static SpecRange Priority { get; } = new("$.resources.priority", -1000, 1000);

    /// <summary>Every documented range, hyper-parameters first.</summary>
    public static IReadOnlyList<SpecRange> All { get; } =
    [
        .. HyperParameters.Values,
        EvalEverySteps, EvalTemperature, EvalTopP, EvalSamples, EvalDiversitySamples,
        SftSteps, SftBatchSize, SftLearningRate, SftWarmupSteps,
        TrainSize, HeldOutSize, TaskNumber, Operands, MinSolutions,
        MemoryGiB, Priority,
    ];

    /// <summary>The upper-end reason for hyper-parameter <paramref name="name"/>'s value, or null (in range, or a non-numeric value).</summary>
    public static string? HyperAboveMax(string name, object? value) =>
        HyperParameters.TryGetValue(name, out var range) && value switch { double d => d, int i => i, _ => (double?)null } is { } x
            ? range.AboveMax(x)
            : null;

    private static SpecRange Hyper(string name, double min, double max, bool minExclusive = false, bool maxExclusive = false, string? why = null) =>
        new($"$.base.{name}", min, max, minExclusive, maxExclusive, why);
}

/// <summary>
/// What the operator lets one sweep and one trial cost on this platform (configuration Dsdr:Limits:*; the CLI's offline
/// commands use the defaults). A trial whose <see cref="TrialCostEstimate"/> exceeds one is refused at submission.
/// </summary>
/// <param name="MaxStepsPerTrial">Dsdr:Limits:MaxStepsPerTrial: totalSteps (and SFT steps) at most this.</param>
/// <param name="MaxTokensPerTrial">Dsdr:Limits:MaxTokensPerTrial: rollout, evaluation and SFT tokens of one trial together.</param>
/// <param name="MaxHoursPerTrial">Dsdr:Limits:MaxHoursPerTrial: the rough wall-clock estimate at most this; null = not checked.</param>
public sealed record SpecLimitOptions(int MaxStepsPerTrial = 100_000, long MaxTokensPerTrial = 10_000_000_000, double? MaxHoursPerTrial = null)
{
    public static SpecLimitOptions Default { get; } = new();

    /// <summary>Throws an <see cref="ArgumentException"/> naming the setting when a limit is not positive.</summary>
    public SpecLimitOptions Validate()
    {
        if (MaxStepsPerTrial < 1) throw new ArgumentException($"Dsdr:Limits:MaxStepsPerTrial must be ≥ 1, got {MaxStepsPerTrial}.");
        if (MaxTokensPerTrial < 1) throw new ArgumentException($"Dsdr:Limits:MaxTokensPerTrial must be ≥ 1, got {MaxTokensPerTrial}.");
        if (MaxHoursPerTrial is { } h && !(h > 0 && double.IsFinite(h))) throw new ArgumentException($"Dsdr:Limits:MaxHoursPerTrial must be a positive number, got {h}.");
        return this;
    }
}
