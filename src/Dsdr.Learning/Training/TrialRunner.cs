using System.Text.Json;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Compute;
using Dsdr.Learning.Data;
using Dsdr.Learning.Embedding;
using Dsdr.Learning.Evaluation;
using Dsdr.Learning.Model;
using Dsdr.Learning.Sft;
using Dsdr.Learning.Tokenizers;
using TorchSharp;

namespace Dsdr.Learning.Training;

/// <summary>Produces the SFT backbone of a preset model and returns its checkpoint folder (see Dsdr.Learning.Sft.SftWarmStart).</summary>
public delegate string WarmStart(TrialSpec trial, Qwen2Config model, ITokenizer tokenizer, PromptStyle prompts, string cacheFolder,
    string device, int threads, Action<string> log, CancellationToken cancellationToken);

/// <summary>Evaluates a policy on one benchmark's held-out problems (see <see cref="Evaluator.Evaluate(Qwen2ForCausalLM, ITokenizer, IReasoningTask, string, IReadOnlyList{Problem}, EvalSpec, IEmbedder?, int, int, EvalOptions, CancellationToken)"/>).</summary>
public delegate EvalReport BenchmarkEvaluation(Qwen2ForCausalLM model, ITokenizer tokenizer, IReasoningTask task, string benchmark,
    IReadOnlyList<Problem> problems, EvalSpec spec, IEmbedder? embedder, int step, int seed, int maxNewTokens, CancellationToken cancellationToken);

/// <summary>Where and how one trial runs.</summary>
/// <param name="OutputFolder">Gets trial.json, metrics.jsonl, groups.jsonl, evals.jsonl, checkpoints/ and summary.json.</param>
/// <param name="Resume">Continue from the newest checkpoint in the output folder (a fresh start when there is none).</param>
/// <param name="TotalSteps">Overrides the trial's totalSteps (a resumed run may extend or shorten it).</param>
/// <param name="SftCacheFolder">Where SFT backbones are cached; null = OutputFolder/../sft-cache.</param>
/// <param name="MemoryBudgetGiB">Stop the trial (<see cref="Core.Failures.TrialOutOfMemoryException"/>) before a generation that would take it
/// over this many GiB (<see cref="MemoryBudget"/>); null = no run-time check (a local <c>dsdr train</c>).</param>
/// <param name="DataRoots">The folders the trial's dataset files and checkpoint model must still lie in when it opens them
/// (<see cref="SpecPaths.Check"/>); null = no check (a local <c>dsdr train</c>).</param>
public sealed record TrialRunOptions(
    string OutputFolder,
    bool Resume = false,
    int? TotalSteps = null,
    string Device = "auto",
    int Threads = 0,
    int CheckpointEverySteps = 50,
    int KeepCheckpoints = 2,
    string? SftCacheFolder = null,
    IReadOnlyList<ITrainingSink>? Sinks = null,
    Action<string>? Log = null,
    double? MemoryBudgetGiB = null,
    IReadOnlyList<string>? DataRoots = null);

/// <summary>Reports on the calling thread (System.Progress posts to the thread pool).</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

/// <summary>How a trial run ended, and what it ran on.</summary>
public sealed record TrialResult(TrialSpec Trial, TrainingSummary Training, bool Resumed, long Parameters, string? Backbone, TrialEnvironment Environment);

/// <summary>
/// One trial end to end: the task's problems, the policy (a preset trained from scratch with its SFT backbone, or a
/// Hugging Face checkpoint), the trainer with JSONL sinks, evaluations on every held-out benchmark, checkpoints and resume.
/// What a learner slot or <c>dsdr train</c> runs.
/// </summary>
public sealed class TrialRunner(IEmbedder embedder, WarmStart? warmStart, BenchmarkEvaluation? evaluate)
{
    public const string TrialFile = "trial.json";
    public const string SummaryFile = "summary.json";
    public const string EnvironmentFile = "environment.json";
    public const string CheckpointsFolder = "checkpoints";

    /// <summary>The SFT warm start of Dsdr.Learning.Sft (cached by config hash).</summary>
    public static WarmStart SftWarmStartDefault { get; } = (trial, model, tokenizer, prompts, cache, device, threads, log, ct) =>
        SftWarmStart.GetOrTrain(new SftRequest(trial.Task, model, tokenizer, trial.Model.Sft, cache, threads, device, prompts),
            new SynchronousProgress<SftProgress>(p => { if (p.Step % 100 == 0 || p.Step == p.Steps) log(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"SFT step {p.Step}/{p.Steps}  loss {p.Loss:0.0000}")); }), ct);

    /// <summary>Dsdr.Learning.Evaluation's evaluator, answers as long as the training rollouts.</summary>
    public static BenchmarkEvaluation EvaluatorDefault { get; } = (model, tokenizer, task, benchmark, problems, spec, embedder, step, seed, maxNewTokens, ct) =>
        Evaluator.Evaluate(model, tokenizer, task, benchmark, problems, spec, embedder, step, seed, new EvalOptions(MaxNewTokens: maxNewTokens), ct);

    /// <summary>A runner with the SFT warm start and the evaluator of this library.</summary>
    public static TrialRunner WithDefaults(IEmbedder embedder) => new(embedder, SftWarmStartDefault, EvaluatorDefault);

    public TrialResult Run(TrialSpec trial, TrialRunOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trial);
        ArgumentNullException.ThrowIfNull(options);
        var log = options.Log ?? (_ => { });
        var device = new ComputeConfig(options.Device, options.Threads).Apply();
        if (options.Threads > 0 && LibTorchProcess.Threads != options.Threads)
            log($"libtorch runs {LibTorchProcess.Threads} intra-op threads, set once for this process (this trial asked for {options.Threads})");
        var config = options.TotalSteps is { } steps ? trial.Config with { TotalSteps = steps } : trial.Config;
        var checkpoints = Path.Combine(options.OutputFolder, CheckpointsFolder);
        if (!options.Resume && CheckpointStore.Latest(checkpoints) is { } existing)
            throw new InvalidOperationException($"{options.OutputFolder} already holds a checkpoint ({Path.GetFileName(existing)}); resume it or choose another output folder.");

        if (options.DataRoots is { } roots) SpecPaths.Check(trial.Task, trial.Model, roots); // a link planted since the submission
        var style = TaskSources.Of(trial.Task.Kind).StyleFor(characterTokens: trial.Model.Preset is not null);
        log($"task {trial.Task.Kind.Name}: generating problems");
        var data = TaskData.Create(trial.Task, style);
        if (MathChatPrompts.TemplateFor(trial.Task, trial.Model) is { } template)
        {
            log($"prompts: the model's chat template ({template.Origin}), enable_thinking {(trial.Model.EnableThinking ? "true" : "false")}");
            data = MathChatPrompts.Apply(data, template, trial.Model);
        }
        var (policy, tokenizer, backbone) = LoadPolicy(trial, data, style, options, device, log, cancellationToken);
        using (policy)
        {
            Directory.CreateDirectory(options.OutputFolder);
            File.WriteAllText(Path.Combine(options.OutputFolder, TrialFile), trial.ToJson(indented: true));
            var environment = TrialEnvironment.Capture(device, embedder as MiniLmEmbedder);
            File.WriteAllText(Path.Combine(options.OutputFolder, EnvironmentFile), JsonSerializer.Serialize(environment, JsonlTrainingSink.JsonOptions));
            using var jsonl = new JsonlTrainingSink(options.OutputFolder);
            var benchmarks = trial.Eval.Benchmarks.Count > 0 ? trial.Eval.Benchmarks : data.HeldOut.Keys.ToList();
            var memory = options.MemoryBudgetGiB is { } budget ? new MemoryBudget(trial, config, policy.Config, budget) : null;
            var longestHeldOut = memory is null ? null
                : benchmarks.ToDictionary(b => b, b => MemoryBudget.Longest(data.HeldOut[b].Select(p => tokenizer.Encode(p.Prompt))), StringComparer.Ordinal);
            EvalReport EvaluateAll(Qwen2ForCausalLM model, int step, CancellationToken ct)
            {
                var reports = benchmarks.Select(b =>
                {
                    memory?.Check(longestHeldOut![b]);
                    return evaluate!(model, tokenizer, data.Task, b, data.HeldOut[b], trial.Eval, embedder, step, trial.Seed, config.MaxNewTokens, ct);
                }).ToList();
                return new EvalReport(step, reports.SelectMany(r => r.Figures).ToList(), reports.Sum(r => r.Seconds),
                    reports.SelectMany(r => r.ProblemOutcomes).ToList());
            }
            // step 0 is the shared backbone itself: evaluated once for every trial that starts from it
            PolicyEvaluation? evaluation = evaluate is null ? null : (model, step, ct) => step == 0 && backbone is not null
                ? BackboneEvaluations.GetOrEvaluate(backbone, BackboneEvaluations.Key(trial, config.MaxNewTokens, benchmarks), () => EvaluateAll(model, step, ct), ct)
                : EvaluateAll(model, step, ct);
            var trainerOptions = new TrainerOptions(config, checkpoints, options.CheckpointEverySteps, options.KeepCheckpoints,
                evaluation, trial.Eval.EverySteps, trial.Eval.AtStart, [jsonl, .. options.Sinks ?? []], Memory: memory);
            using var trainer = new Trainer(policy, tokenizer, data.Task, data.Train, embedder, trainerOptions);
            var resumed = options.Resume && trainer.TryResume();
            if (resumed) log($"resumed at step {trainer.Step}");
            var summary = trainer.Run(cancellationToken);
            var result = new TrialResult(trial, summary, resumed, policy.ParameterCount(), backbone, environment);
            File.WriteAllText(Path.Combine(options.OutputFolder, SummaryFile), JsonSerializer.Serialize(new
            {
                trial.TrialId, trial.Arm, trial.Seed, summary.Steps, summary.Cancelled, summary.LastCheckpoint, summary.Seconds,
                Resumed = resumed, result.Parameters, Backbone = backbone, FinalEval = summary.FinalEval, Environment = environment,
            }, JsonlTrainingSink.JsonOptions));
            return result;
        }
    }

    private (Qwen2ForCausalLM Policy, ITokenizer Tokenizer, string? Backbone) LoadPolicy(TrialSpec trial, TaskData data, PromptStyle style,
        TrialRunOptions options, torch.Device device, Action<string> log, CancellationToken cancellationToken)
    {
        var load = new CheckpointLoadOptions(Device: device);
        if (trial.Model.Checkpoint is { } folder)
        {
            if (trial.Model.Sft.Enabled)
                throw new NotSupportedException("SFT warm start is only for preset models; set model.sft.enabled to false for a checkpoint.");
            log($"model: loading {folder}");
            return (Checkpoint.Load(folder, load), TokenizerFiles.Load(folder), null);
        }
        var preset = ModelPresets.Get(trial.Model.Preset ?? throw new ArgumentException("The model needs a preset or a checkpoint."));
        var tokenizer = new CharTokenizer(TaskData.CharAlphabet(data.Kind));
        var modelConfig = Qwen2Config.FromPreset(preset, tokenizer.VocabSize);
        if (trial.Model.Sft.Enabled)
        {
            if (warmStart is null)
                throw new NotSupportedException("model.sft.enabled is true but this build has no SFT warm start; set it to false to train from a random policy.");
            var cache = options.SftCacheFolder ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.OutputFolder))!, "sft-cache");
            log($"model: {preset.Name} SFT backbone (cached under {cache})");
            var backbone = warmStart(trial, modelConfig, tokenizer, style, cache, options.Device, options.Threads, log, cancellationToken);
            return (Checkpoint.Load(backbone, load), TokenizerFiles.Load(backbone), backbone);
        }
        log($"model: {preset.Name} from random weights (seed {trial.Seed})");
        var policy = new Qwen2ForCausalLM(modelConfig, initSeed: trial.Seed);
        policy.to(device);
        return (policy, tokenizer, null);
    }
}
