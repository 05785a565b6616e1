using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dsdr.Contracts;
using Dsdr.Core.Reports;
using Dsdr.Core.Results;
using Dsdr.Grains.Running;

namespace Dsdr.Grains.Simulation;

/// <summary>
/// The plan a simulated trial follows, read from the "simulation" object of the trial's config
/// JSON: how many steps, how long each takes, how often it checkpoints, and which faults strike.
/// <paramref name="EvalEvery"/>: evaluate at step 0, every this many steps and at the last step (null: every
/// max(1, Steps/5) steps; 0: never). <paramref name="RolloutGroupsPerStep"/>: scored groups recorded per step (0 to 8).
/// <paramref name="AvgK"/>, <paramref name="PassKSamples"/> and <paramref name="DiversitySamples"/>: the simulated evaluation's
/// samples per problem for Avg@k, pass@k and the diversity-temperature figures (0: none), as a spec's eval section gives them.
/// </summary>
public sealed record SimulationPlan(
    int Steps, int StepMilliseconds, int CheckpointEvery, IReadOnlyList<SimulatedFault> Faults, int? EvalEvery = null, int RolloutGroupsPerStep = 1,
    int AvgK = 16, int PassKSamples = 16, int DiversitySamples = 16)
{
    public const int MaxRolloutGroupsPerStep = 8;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };

    public static SimulationPlan FromConfigJson(string configJson)
    {
        using var doc = JsonDocument.Parse(configJson);
        if (!doc.RootElement.TryGetProperty("simulation", out var sim))
            throw new ArgumentException("The trial config has no \"simulation\" object: the simulated runner needs {\"simulation\":{\"steps\":N,\"stepMilliseconds\":M,…}}.");
        var plan = sim.Deserialize<SimulationPlan>(Json) ?? throw new ArgumentException("The trial config's \"simulation\" object is null.");
        plan = plan with { Faults = plan.Faults ?? [] };
        if (plan.Steps < 1) throw new ArgumentException($"simulation.steps must be at least 1 (got {plan.Steps}).");
        if (plan.StepMilliseconds < 0) throw new ArgumentException($"simulation.stepMilliseconds must be 0 or more (got {plan.StepMilliseconds}).");
        if (plan.CheckpointEvery < 0) throw new ArgumentException($"simulation.checkpointEvery must be 0 (never) or more (got {plan.CheckpointEvery}).");
        if (plan.EvalEvery < 0) throw new ArgumentException($"simulation.evalEvery must be 0 (never), more, or absent (every steps/5) (got {plan.EvalEvery}).");
        if (plan.RolloutGroupsPerStep is < 0 or > MaxRolloutGroupsPerStep)
            throw new ArgumentException($"simulation.rolloutGroupsPerStep must be 0 to {MaxRolloutGroupsPerStep} (got {plan.RolloutGroupsPerStep}).");
        if (plan.AvgK is < 1 or > 1024 || plan.PassKSamples is < 1 or > 1024 || plan.DiversitySamples is < 0 or > 1024)
            throw new ArgumentException($"simulation.avgK and passKSamples must be 1 to 1024, diversitySamples 0 to 1024 (got {plan.AvgK}, {plan.PassKSamples}, {plan.DiversitySamples}).");
        return plan;
    }

    /// <summary>Whether the trial evaluates after <paramref name="step"/> (0: before training).</summary>
    public bool EvaluatesAt(int step)
    {
        var every = EvalEvery ?? Math.Max(1, Steps / 5);
        return every > 0 && (step == 0 || step == Steps || step % every == 0);
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>A config JSON holding just this plan.</summary>
    public string ToConfigJson() => $"{{\"simulation\":{ToJson()}}}";
}

public enum SimulatedFaultKind
{
    /// <summary>The attempt throws (a device error): the trial is requeued at once.</summary>
    Crash,
    /// <summary>The device hangs for HangMilliseconds: the runner reports nothing and ignores cancellation meanwhile.</summary>
    Hang,
}

/// <summary>A fault on attempt <paramref name="Attempt"/> just before step <paramref name="AtStep"/>.</summary>
public sealed record SimulatedFault(int Attempt, int AtStep, SimulatedFaultKind Kind, int HangMilliseconds = 0);

/// <summary>What one simulated attempt did, for tests and the benchmark.</summary>
public sealed record SimulatedAttempt(
    string TrialId, int Attempt, string SlotKey, int ResumedFromStep, DateTimeOffset QueuedAt, DateTimeOffset ReadyAt, DateTimeOffset StartedAt,
    DateTimeOffset EndedAt, int LastStep, string Outcome, DateTimeOffset? FaultAt);

/// <summary>Everything the simulated runners of one process did, shared across its silos.</summary>
public sealed class SimulationLog
{
    private readonly ConcurrentQueue<SimulatedAttempt> _attempts = new();
    private readonly ConcurrentDictionary<(string TrialId, int Step), int> _stepsRun = new();

    public IReadOnlyList<SimulatedAttempt> Attempts => [.. _attempts];

    /// <summary>How many times each (trial, step) was executed: more than once when replayed after a resume.</summary>
    public IReadOnlyDictionary<(string TrialId, int Step), int> StepsRun => _stepsRun;

    /// <summary>Forgets everything logged so far (e.g. after a warm-up).</summary>
    public void Clear()
    {
        _attempts.Clear();
        _stepsRun.Clear();
    }

    internal void Add(SimulatedAttempt attempt) => _attempts.Enqueue(attempt);

    internal void StepRan(string trialId, int step) => _stepsRun.AddOrUpdate((trialId, step), 1, (_, n) => n + 1);
}

/// <summary>
/// A runner that follows each trial's <see cref="SimulationPlan"/>: it sleeps through its steps,
/// writes real checkpoint files to <paramref name="checkpointDirectory"/> (which every node must
/// share) and resumes from the checkpoint it is given, reading the file back. Like the trainer's runner
/// it reports step metrics, evaluation figures (as "eval/simulated/&lt;metric&gt;[@k]" metrics) and scored
/// rollout groups, all simulated: deterministic functions of (trial, step), not the output of a model.
/// </summary>
public sealed class SimulatedTrialRunner(string checkpointDirectory, SimulationLog log, TimeProvider? clock = null) : ITrialRunner
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public SimulationLog Log => log;

    public async Task<TrialOutcome> RunAsync(TrialAssignment assignment, ITrialReporter reporter, CancellationToken cancellationToken)
    {
        var startedAt = _clock.GetUtcNow();
        var plan = SimulationPlan.FromConfigJson(assignment.Trial.ConfigJson);
        var trialId = assignment.Trial.TrialId;
        var step = assignment.ResumeCheckpointPath is { } path ? ReadCheckpoint(path, trialId) : 0;
        if (step != assignment.ResumeStep)
            throw new InvalidOperationException($"Checkpoint '{assignment.ResumeCheckpointPath}' holds step {step}, the trial says {assignment.ResumeStep}.");
        DateTimeOffset? faultAt = null;
        var outcome = "completed";
        try
        {
            if (step == 0 && plan.EvaluatesAt(0))
            {
                await reporter.ReportEvalProblemsAsync(0, SimulatedMetrics.ProblemsAt(trialId, 0, plan));
                await reporter.ReportMetricsAsync(0, SimulatedMetrics.EvalAt(trialId, 0, plan));
            }
            await reporter.ReportStepAsync(step, plan.Steps);
            while (step < plan.Steps)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var next = step + 1;
                if (plan.Faults.FirstOrDefault(f => f.Attempt == assignment.Attempt && f.AtStep == next) is { } fault)
                {
                    faultAt = _clock.GetUtcNow();
                    if (fault.Kind == SimulatedFaultKind.Crash)
                        throw new SimulatedDeviceException($"simulated device fault before step {next} of trial {trialId}");
                    await Task.Delay(fault.HangMilliseconds, CancellationToken.None);
                    cancellationToken.ThrowIfCancellationRequested();
                }
                if (plan.StepMilliseconds > 0) await Task.Delay(plan.StepMilliseconds, cancellationToken);
                step = next;
                log.StepRan(trialId, step);
                if (plan.EvaluatesAt(step)) await reporter.ReportEvalProblemsAsync(step, SimulatedMetrics.ProblemsAt(trialId, step, plan));
                await reporter.ReportMetricsAsync(step, SimulatedMetrics.At(trialId, step, plan));
                for (var g = 0; g < plan.RolloutGroupsPerStep; g++)
                    await reporter.ReportRolloutGroupAsync(SimulatedRollouts.Group(trialId, step, g));
                await reporter.ReportStepAsync(step, plan.Steps);
                if (plan.CheckpointEvery > 0 && step % plan.CheckpointEvery == 0 && step < plan.Steps)
                    await reporter.ReportCheckpointAsync(WriteCheckpoint(trialId, assignment.Attempt, step), step);
            }
            return TrialOutcome.Completed(step);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            outcome = "cancelled";
            return TrialOutcome.Cancelled(step);
        }
        catch (SimulatedDeviceException ex)
        {
            outcome = "crashed";
            return TrialOutcome.Failed(step, ex.Message);
        }
        finally
        {
            log.Add(new SimulatedAttempt(trialId, assignment.Attempt, reporter.SlotKey, assignment.ResumeStep,
                assignment.QueuedAt, assignment.ReadyAt, startedAt, _clock.GetUtcNow(), step, outcome, faultAt));
        }
    }

    private string WriteCheckpoint(string trialId, int attempt, int step)
    {
        var folder = Path.Combine(checkpointDirectory, trialId);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"step-{step:D6}.json");
        var temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(new CheckpointFile(trialId, step, attempt)));
        File.Move(temp, path, overwrite: true);
        return path;
    }

    private static int ReadCheckpoint(string path, string trialId)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Checkpoint of trial {trialId} not found at '{path}': is the checkpoint folder shared between nodes?", path);
        var file = JsonSerializer.Deserialize<CheckpointFile>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"Checkpoint '{path}' is empty.");
        if (file.TrialId != trialId)
            throw new InvalidDataException($"Checkpoint '{path}' belongs to trial {file.TrialId}, not {trialId}.");
        return file.Step;
    }

    private sealed record CheckpointFile(string TrialId, int Step, int Attempt);
}

/// <summary>
/// The step metrics and evaluation figures a simulated trial reports: functions of (trial, step) only, so a step
/// replayed after a resume reports the same values, as an exactly resumed trainer would. Simulated, not measured.
/// The evaluation is simulated per problem (<see cref="ProblemsAt"/>) and its figures are Core's
/// <see cref="ProblemFigures"/> of those outcomes, as the trainer's evaluator computes them.
/// </summary>
public static class SimulatedMetrics
{
    public const string Loss = "loss";
    public const string RewardMean = "reward/mean";

    /// <summary>The benchmark name of simulated evaluation figures.</summary>
    public const string Benchmark = "simulated";

    /// <summary>How many held-out problems a simulated evaluation answers ("000" … "031").</summary>
    public const int EvalProblems = 32;

    /// <summary>Distinct solutions each simulated problem has.</summary>
    public const int SolutionsPerProblem = 3;

    /// <summary>A step's metrics under <paramref name="plan"/>: the step metrics, plus the evaluation figures when it evaluates then.</summary>
    public static IReadOnlyDictionary<string, double> At(string trialId, int step, SimulationPlan plan)
    {
        if (!plan.EvaluatesAt(step)) return At(trialId, step);
        var all = new Dictionary<string, double>(At(trialId, step));
        foreach (var (name, value) in EvalAt(trialId, step, plan)) all[name] = value;
        return all;
    }

    /// <summary>
    /// The simulated evaluation figures of <paramref name="step"/>: Pass@1, Avg@k, pass@k for k = 1, 2, 4, …, n, distinct
    /// correct solutions, solutions found, the similarities and the diversity-temperature figures, named as the trainer
    /// names them ("eval/simulated/avg@16"); each is the mean of <see cref="ProblemsAt"/>'s per-problem values.
    /// </summary>
    public static IReadOnlyDictionary<string, double> EvalAt(string trialId, int step, SimulationPlan plan) =>
        ProblemFigures.Figures(ProblemsAt(trialId, step, plan)).ToDictionary(f => EvalMetricName.Format(Benchmark, f.Key.Metric, f.Key.K), f => f.Value);

    /// <summary>
    /// The simulated outcome of every problem q at <paramref name="step"/>: each rollout is correct with
    /// p_q = clamp(p + 0.25·e_q, 0.02, 0.98) (p the trial's <see cref="Accuracy"/>, e_q ∈ [−1, 1) a fixed ease of the
    /// problem shared by every trial); at the diversity temperature with 0.9·p_q. A correct rollout finds one of the
    /// problem's <see cref="SolutionsPerProblem"/> solutions; similarities fall as more distinct solutions are found.
    /// </summary>
    public static IReadOnlyList<ProblemEvalOutcome> ProblemsAt(string trialId, int step, SimulationPlan plan)
    {
        var p = Accuracy(trialId, step);
        var outcomes = new List<ProblemEvalOutcome>(EvalProblems);
        for (var q = 0; q < EvalProblems; q++)
        {
            var id = q.ToString("D3", System.Globalization.CultureInfo.InvariantCulture);
            var pq = Math.Clamp(p + 0.25 * Noise($"{Benchmark}#{id}#ease"), 0.02, 0.98);
            var key = $"{trialId}#{step}#{id}";
            var avg = Draws(key + "#avg", plan.AvgK, pq);
            var passK = plan.PassKSamples == plan.AvgK ? avg : Draws(key + "#pass", plan.PassKSamples, pq);
            var diversity = Draws(key + "#diversity", plan.DiversitySamples, 0.9 * pq);
            var (distinct, semantic, formula) = Diversity(passK, key);
            var (hotDistinct, hotSemantic, hotFormula) = Diversity(diversity, key + "#diversity");
            outcomes.Add(new ProblemEvalOutcome(Benchmark, id, (Noise(key + "#pass1") + 1) / 2 < pq,
                plan.AvgK, avg.Count(s => s >= 0), plan.PassKSamples, passK.Count(s => s >= 0), distinct, SolutionsPerProblem, semantic, formula,
                plan.DiversitySamples, diversity.Count(s => s >= 0), hotDistinct, hotSemantic, hotFormula));
        }
        return outcomes;
    }

    // each of n rollouts: the solution it found (0 … SolutionsPerProblem − 1) when correct (u < p), −1 when wrong
    private static int[] Draws(string key, int n, double p) =>
        [.. Enumerable.Range(0, n).Select(i => (Noise($"{key}#{i}") + 1) / 2 < p ? (int)(Hash($"{key}#{i}#solution") % SolutionsPerProblem) : -1)];

    // distinct = |{ solution of a correct rollout }|; sem-sim = 0.95 − 0.15·(distinct − 1) + 0.02·u, formula-sim = 0.9 − 0.3·(distinct − 1) + 0.02·u
    // (clipped to [0, 1]) with at least 2 correct rollouts, else undefined
    private static (int Distinct, double? Semantic, double? Formula) Diversity(int[] draws, string key)
    {
        var correct = draws.Count(s => s >= 0);
        var distinct = draws.Where(s => s >= 0).Distinct().Count();
        if (correct < 2) return (distinct, null, null);
        return (distinct, Math.Clamp(0.95 - 0.15 * (distinct - 1) + 0.02 * Noise(key + "#semantic"), 0, 1),
            Math.Clamp(0.9 - 0.3 * (distinct - 1) + 0.02 * Noise(key + "#formula"), 0, 1));
    }

    /// <summary>p = 0.2 + 0.6 · step / (step + 20) + 0.02·u, clipped to [0, 1]: the simulated accuracy after <paramref name="step"/>.</summary>
    public static double Accuracy(string trialId, int step) =>
        Math.Clamp(0.2 + 0.6 * step / (step + 20.0) + 0.02 * Noise(trialId, step, "accuracy"), 0, 1);

    /// <summary>How often a simulated trial logs its rollouts' similarities (the trainer's default cadence).</summary>
    public const int SimilarityEvery = 10;

    public static IReadOnlyDictionary<string, double> At(string trialId, int step)
    {
        var noise = Noise(trialId, step);
        var metrics = new Dictionary<string, double>
        {
            // loss = 1 / (1 + step/10) · (1 + 0.05·u),  u ∈ [−1, 1)
            [Loss] = 1.0 / (1.0 + step / 10.0) * (1.0 + 0.05 * noise),
            // reward = 1 − 1 / (1 + step/10) + 0.02·u
            [RewardMean] = 1.0 - 1.0 / (1.0 + step / 10.0) + 0.02 * noise,
            // entropy = 0.4 + 0.8 · exp(−step/40) + 0.03·u_entropy
            [TrainingCurveNames.Entropy] = 0.4 + 0.8 * Math.Exp(-step / 40.0) + 0.03 * Noise(trialId, step, "entropy"),
        };
        if (step % SimilarityEvery == 0)
        {
            // semantic similarity = 0.8 + 0.1 · step/(step + 50) + 0.02·u_semantic; formula similarity = 0.5 + 0.2 · step/(step + 50) + 0.05·u_formula
            metrics[TrainingCurveNames.SemanticSimilarity] = 0.8 + 0.1 * step / (step + 50.0) + 0.02 * Noise(trialId, step, "semantic");
            metrics[TrainingCurveNames.FormulaSimilarity] = 0.5 + 0.2 * step / (step + 50.0) + 0.05 * Noise(trialId, step, "formula");
        }
        return metrics;
    }

    private static double Noise(string trialId, int step) => Noise($"{trialId}#{step}");

    internal static double Noise(string trialId, int step, string what) => Noise($"{trialId}#{step}#{what}");

    // A stable pseudo-random u ∈ [−1, 1) from a key: FNV-1a, not string.GetHashCode (random per process).
    internal static double Noise(string key) => (Hash(key) >> 11) / (double)(1UL << 53) * 2.0 - 1.0;

    internal static ulong Hash(string key)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(key))
            hash = (hash ^ b) * 1099511628211UL;
        return hash;
    }
}

/// <summary>
/// The scored rollout groups a simulated trial records: G = 4 rollouts of a problem of the "simulated" dataset
/// (64 problems), each correct with the trial's simulated accuracy, scored with the method's formulas (λ_d = 0.001,
/// τ = 5) on simulated diversities. Deterministic in (trial, step, group): a replayed step records the same groups.
/// </summary>
public static class SimulatedRollouts
{
    public const string Dataset = "simulated";
    public const int Problems = 64;
    public const int GroupSize = 4;
    private const double LambdaD = 0.001;
    private const double Tau = 5;
    private const double Epsilon = 1e-6;

    /// <summary>Group <paramref name="index"/> of <paramref name="step"/>; groups of one step are on distinct problems.</summary>
    public static RolloutGroupRecord Group(string trialId, int step, int index)
    {
        var first = (int)(SimulatedMetrics.Hash($"{trialId}#{step}#problem") % Problems);
        var problem = (first + index) % Problems;
        var problemId = problem.ToString("D3", System.Globalization.CultureInfo.InvariantCulture);
        var p = SimulatedMetrics.Accuracy(trialId, step);
        var rewards = new double[GroupSize];
        var diversity = new double[GroupSize];
        var keys = new string?[GroupSize];
        for (var i = 0; i < GroupSize; i++)
        {
            var key = $"{trialId}#{step}#{index}#{i}";
            rewards[i] = (SimulatedMetrics.Noise(key + "#correct") + 1) / 2 < p ? 1 : 0;
            diversity[i] = (SimulatedMetrics.Noise(key + "#d") + 1) / 2;
            // up to three distinct correct solutions per problem
            keys[i] = rewards[i] > 0 ? $"{problemId}-solution-{SimulatedMetrics.Hash(key + "#solution") % 3}" : null;
        }
        var shaped = ShapedRewards(rewards, diversity);
        var advantages = Advantages(shaped);
        var weights = CouplingWeights(rewards, diversity);
        var rollouts = Enumerable.Range(0, GroupSize).Select(i => new ScoredRollout(
            $"Simulated rollout {i} for problem {problemId} at step {step}: {(rewards[i] > 0 ? keys[i] : "no solution")}",
            rewards[i], rewards[i] > 0, keys[i], diversity[i], shaped[i], advantages[i], weights[i])).ToImmutableArray();
        return new RolloutGroupRecord(trialId, step, GrainKeys.Problem(Dataset, problemId),
            $"Simulated problem {problemId}: reach {problem + 10} with the numbers given.", rollouts, Gold: $"{problem + 10}");
    }

    // r̃_i = r_i + λ_d · d_i · 1[r_i = 1]
    private static double[] ShapedRewards(double[] r, double[] d) => [.. r.Select((ri, i) => ri + (ri == 1 ? LambdaD * d[i] : 0))];

    // A_i = (r̃_i − mean(r̃)) / (std(r̃) + ε), sample std (N − 1)
    private static double[] Advantages(double[] shaped)
    {
        var mean = shaped.Average();
        var std = Math.Sqrt(shaped.Sum(x => (x - mean) * (x - mean)) / (shaped.Length - 1));
        return [.. shaped.Select(x => (x - mean) / (std + Epsilon))];
    }

    // w_i = exp(τ·d_i) / Σ_{j∈P} exp(τ·d_j) for correct i, 0 otherwise
    private static double[] CouplingWeights(double[] r, double[] d)
    {
        var total = d.Where((_, i) => r[i] == 1).Sum(x => Math.Exp(Tau * x));
        return [.. d.Select((x, i) => r[i] == 1 ? Math.Exp(Tau * x) / total : 0)];
    }
}

public sealed class SimulatedDeviceException(string message) : Exception(message);
