using Dsdr.Core.Tasks;
using System.Text.Json.Serialization;

namespace Dsdr.Core.Sweeps;

/// <summary>
/// A sweep: arms × grid points × seeds of one task and model. Read it with <see cref="SweepSpecParser.Parse"/>,
/// expand it with <see cref="SweepExpander.Expand"/>, write it with <see cref="SweepSpecWriter.ToJson"/>.
/// </summary>
/// <param name="Base">Overrides of <see cref="TrainingConfig.Default"/> for every trial, in spec order.</param>
/// <param name="Arms">Arm preset names (<see cref="ArmPresets.Names"/>), in the order the table lists them.</param>
/// <param name="Grid">Axes of the grid, outermost first; each key is a hyper-parameter JSON name.</param>
/// <param name="MaxTrials">Upper bound on the expanded trial count (default 1000).</param>
/// <param name="Search">Random or Sobol points over continuous ranges, run at every grid point; null: the grid alone.</param>
/// <param name="EarlyStopping">ASHA and/or diversity-collapse rules that stop hopeless trials; null: every trial runs to its end.</param>
[JsonConverter(typeof(SweepSpecJsonConverter))]
public sealed record SweepSpec(
    string Name,
    string? Description,
    TaskSpec Task,
    ModelSpec Model,
    IReadOnlyList<HyperAssignment> Base,
    IReadOnlyList<string> Arms,
    IReadOnlyList<GridAxis> Grid,
    IReadOnlyList<int> Seeds,
    EvalSpec Eval,
    ResourceSpec Resources,
    int MaxTrials = SweepSpec.DefaultMaxTrials,
    SearchSpec? Search = null,
    EarlyStoppingSpec? EarlyStopping = null)
{
    public const int DefaultMaxTrials = 1000;
}

/// <summary>One grid axis: a hyper-parameter and the values it takes (typed as <see cref="HyperParameter.TryRead"/> gives).</summary>
public sealed record GridAxis(string Key, IReadOnlyList<object?> Values);

/// <summary>Inclusive integer range.</summary>
public sealed record IntRange(int Min, int Max)
{
    public override string ToString() => $"[{Min}, {Max}]";
}

/// <summary>
/// A benchmark: a Hugging Face JSONL or parquet file, or a folder of them, in a recognised layout
/// (<see cref="Tasks.BenchmarkLoader.Layouts"/>) or read through <see cref="PromptField"/> and <see cref="AnswerField"/>.
/// </summary>
public sealed record BenchmarkFile(string Name, string Path, string? PromptField = null, string? AnswerField = null)
{
    public Tasks.FieldMapping Fields => new(PromptField, AnswerField);
}

/// <summary>
/// The task: Countdown (<see cref="Numbers"/> numbers from <see cref="NumberRange"/>, a reachable target in
/// <see cref="TargetRange"/>), multi-step arithmetic (<see cref="Operands"/> operands from <see cref="NumberRange"/>),
/// or math from JSONL or parquet files (<see cref="TrainPath"/>, <see cref="Benchmarks"/>; a spec's dataDir is expanded into both). Synthetic tasks generate
/// <see cref="TrainSize"/> training and <see cref="HeldOutSize"/> held-out problems from <see cref="DataSeed"/>;
/// fields that do not belong to the kind keep their defaults and are not written.
/// </summary>
[JsonConverter(typeof(TaskSpecJsonConverter))]
public sealed record TaskSpec
{
    public TaskKind Kind { get; init; } = TaskKind.Countdown;
    public int Numbers { get; init; } = 3;
    public IntRange NumberRange { get; init; } = new(1, 20);
    public IntRange TargetRange { get; init; } = new(1, 100);
    /// <summary>How a Countdown target is chosen among the values its numbers reach (uniformly, or weighted by the expressions reaching it).</summary>
    public TargetChoice Targets { get; init; } = TargetChoice.UniformReachable;
    /// <summary>Countdown problems with fewer distinct solutions than this are redrawn (1 keeps every solvable one).</summary>
    public int MinSolutions { get; init; } = 1;
    public int Operands { get; init; } = 4;
    public int TrainSize { get; init; } = 10_000;
    public int HeldOutSize { get; init; } = 200;
    public int DataSeed { get; init; } = 1234;
    public string? TrainPath { get; init; }
    public IReadOnlyList<BenchmarkFile> Benchmarks { get; init; } = [];
    /// <summary>Field of the training file's problem text (a dotted path); null: the recognised layout's.</summary>
    public string? PromptField { get; init; }
    /// <summary>Field of the training file's gold answer (a dotted path such as reward_model.ground_truth); null: the layout's.</summary>
    public string? AnswerField { get; init; }
    public Tasks.FieldMapping TrainFields => new(PromptField, AnswerField);

    /// <summary>Benchmarks the task offers: its held-out set (named after the kind) or its benchmark files.</summary>
    public IReadOnlyList<string> BenchmarkNames => Kind.Family.BenchmarkNames(this);
}

/// <summary>Supervised warm start that produces the "Backbone" (issue 4 calibration: 600 steps, batch 128, lr 1e-3, 100 warm-up).</summary>
public sealed record SftSpec(bool Enabled = true, int Steps = 600, int BatchSize = 128, double LearningRate = 1e-3, int WarmupSteps = 100, int Seed = 0);

/// <summary>
/// The policy: a built-in preset (trained from scratch, then SFT) or a Hugging Face checkpoint folder. A checkpoint's math
/// prompts go through the model's own chat template (tokenizer_config.json's chat_template) when <see cref="ChatTemplate"/>
/// is auto and the folder has one: one user turn, the problem then <see cref="Instruction"/>, with the generation prompt and
/// <see cref="EnableThinking"/> as enable_thinking. Presets (our char tokenizer) and synthetic tasks keep their raw prompts.
/// </summary>
[JsonConverter(typeof(ModelSpecJsonConverter))]
public sealed record ModelSpec(string? Preset, string? Checkpoint, SftSpec Sft)
{
    /// <summary>The paper's instruction after each math problem (Qwen's own for math: step-by-step reasoning, the answer boxed).</summary>
    public const string PaperInstruction = "Please reason step by step, and put your final answer within \\boxed{}.";

    public ChatTemplateUse ChatTemplate { get; init; } = ChatTemplateUse.Auto;
    /// <summary>enable_thinking of the template (Qwen3: false puts an empty think block in the prompt); false as the paper's runs.</summary>
    public bool EnableThinking { get; init; }
    public string Instruction { get; init; } = PaperInstruction;
}

/// <summary>Whether a checkpoint's math prompts go through its chat template: auto = when tokenizer_config.json has one; none = raw problem text.</summary>
public enum ChatTemplateUse { Auto, None }

/// <summary>
/// Shape of a built-in from-scratch Qwen2 decoder preset (the one list of preset names; Dsdr.Learning builds its model
/// config from it). <see cref="IntermediateSize"/> is the SwiGLU width, <see cref="Context"/> the position budget.
/// </summary>
public sealed record ModelPreset(string Name, int Layers, int ModelDim, int Heads, int KvHeads, int IntermediateSize, int Context, string Description);

/// <summary>
/// Built-in decoder presets. "countdown" is the calibrated Countdown policy of issue 4 (4 layers, d = 64, 4 heads,
/// ~0.2M parameters at the Countdown alphabet); "countdown-wide" its d = 128 variant; "tiny" (~1M) and "small" (~10M)
/// the general CPU sizes.
/// </summary>
public static class ModelPresets
{
    public const string Tiny = "tiny";
    public const string Small = "small";
    public const string Countdown = "countdown";
    public const string CountdownWide = "countdown-wide";

    public static IReadOnlyList<ModelPreset> All { get; } =
    [
        new(Countdown, 4, 64, 4, 4, 176, 64, "calibrated Countdown policy (issue 4): 4 layers, d = 64, 4 heads, ~0.2M parameters"),
        new(CountdownWide, 4, 128, 4, 4, 352, 64, "the prototype's d = 128 Countdown runs, ~0.8M parameters"),
        new(Tiny, 4, 128, 4, 2, 512, 512, "character-level CPU work, ~1M parameters at vocabulary 64"),
        new(Small, 8, 256, 8, 4, 1376, 1024, "CPU work with more capacity, ~10M parameters at vocabulary 64"),
    ];

    public static bool TryGet(string name, out ModelPreset preset)
    {
        preset = All.FirstOrDefault(p => p.Name == name)!;
        return preset is not null;
    }

    /// <summary>The preset called <paramref name="name"/>; an unknown name throws listing the known ones.</summary>
    public static ModelPreset Get(string name) => TryGet(name, out var preset)
        ? preset
        : throw new ArgumentException($"unknown model preset \"{name}\"; use one of {string.Join(", ", All.Select(p => p.Name))}", nameof(name));
}

/// <summary>
/// Evaluation: every <see cref="EverySteps"/> steps (and at step 0 when <see cref="AtStart"/>, the backbone),
/// Pass@1 with one sample at <see cref="Pass1Temperature"/>/<see cref="Pass1TopP"/>, Avg@k with
/// <see cref="AvgK"/> samples at <see cref="AvgTemperature"/>/<see cref="TopP"/>, pass@k for k = 1, 2, 4, … n from
/// <see cref="PassKSamples"/> samples (at the same temperature and top-p). The diversity figures (distinct correct solutions,
/// similarities among correct answers) are measured on the pass@k samples and again on <see cref="DiversitySamples"/>
/// samples at <see cref="DiversityTemperature"/>/<see cref="DiversityTopP"/> (the policy's own distribution by default;
/// 0 samples: not measured). Empty <see cref="Benchmarks"/> = all of the task's.
/// </summary>
[JsonConverter(typeof(EvalSpecJsonConverter))]
public sealed record EvalSpec
{
    public int EverySteps { get; init; } = 50;
    public bool AtStart { get; init; } = true;
    public double Pass1Temperature { get; init; } = 0.1;
    public double Pass1TopP { get; init; } = 0.9;
    public int AvgK { get; init; } = 16;
    public double AvgTemperature { get; init; } = 0.7;
    /// <summary>Nucleus (top-p) of the Avg@k and pass@k samples: the paper's 0.9.</summary>
    public double TopP { get; init; } = 0.9;
    public int PassKSamples { get; init; } = 16;
    /// <summary>Temperature of the diversity rollouts: 1.0, the policy's own distribution, as the paper measures diversity.</summary>
    public double DiversityTemperature { get; init; } = 1.0;
    public double DiversityTopP { get; init; } = 1.0;
    /// <summary>Diversity rollouts per problem; 0 leaves them out (and the "diversity…" figures with them).</summary>
    public int DiversitySamples { get; init; } = 16;
    public IReadOnlyList<string> Benchmarks { get; init; } = [];
}

/// <summary>What a trial needs from a learner slot; <see cref="Priority"/>: higher runs first.</summary>
[JsonConverter(typeof(ResourceSpecJsonConverter))]
public sealed record ResourceSpec(DeviceKind Device = DeviceKind.Cpu, double MemoryGiB = 2.0, int Priority = 0);
