using System.Diagnostics;
using Dsdr.Core.Failures;
using Dsdr.Core.Method;
using Dsdr.Core.Metrics;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Data;
using Dsdr.Learning.Evaluation;
using Dsdr.Learning.Losses;
using Dsdr.Learning.Model;
using Dsdr.Learning.Sampling;
using Dsdr.Learning.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Training;

/// <summary>
/// One trial of GRPO / DAPO / DSDR (DESIGN.md, "One training step"). Per step: draw B prompts, sample G rollouts
/// each (π_old log-probs recorded), verify, embed, score each group with Core's <see cref="GroupScorer"/> (d, r̃, A, w),
/// then PPO epochs over mini-batches of whole groups with <see cref="DsdrLoss"/>, AdamW, global grad-norm clip and a
/// linear learning-rate warm-up. Every random choice is a pure function of (seed, step, …), and the data order of
/// (seed, cursor), so a checkpoint holding model, optimiser, step and cursor resumes the run exactly.
/// Not thread-safe; the model must not be used elsewhere while a step runs.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly Qwen2ForCausalLM policy;          // runs sampling and the passes: the given model, or its bf16 working copy
    private readonly Qwen2ForCausalLM master;          // the weights the optimiser steps and checkpoints hold: the given model
    private readonly Bf16WorkingCopy? bf16;            // precision bf16 only
    private readonly Qwen2ForCausalLM? reference;
    private readonly ITokenizer tokenizer;
    private readonly IReasoningTask task;
    private readonly IEmbedder embedder;
    private readonly TrainerOptions options;
    private readonly ArmBehaviour arm;
    private readonly TrainStream stream;
    private readonly AdamW optimizer;
    private readonly Sampler sampler;
    private readonly Device device;
    private readonly IReadOnlyList<ITrainingSink> sinks;

    /// <param name="policy">The policy to train (the SFT backbone or a loaded checkpoint), on its device. With precision bf16 it
    /// must be float32: it keeps the master weights, and a bf16 working copy of it samples and runs the passes.</param>
    /// <param name="trainProblems">Training problems; drawn in a seeded order (see <see cref="TrainStream"/>).</param>
    /// <param name="embedder">The frozen sentence encoder of the semantic score (MiniLM by default).</param>
    public Trainer(Qwen2ForCausalLM policy, ITokenizer tokenizer, IReasoningTask task, IReadOnlyList<Problem> trainProblems,
        IEmbedder embedder, TrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        master = policy;
        if (options.Config.Precision == Core.Sweeps.Precision.Bf16)
        {
            bf16 = Bf16WorkingCopy.Of(policy);
            policy = bf16.Working;
        }
        this.policy = policy;
        this.tokenizer = tokenizer;
        this.task = task;
        this.embedder = embedder;
        this.options = options;
        Config = options.Config;
        arm = ArmBehaviour.From(Config);
        GroupScorer.ValidateConfig(arm.Scoring);
        arm.Loss.Validate();
        stream = new TrainStream(trainProblems, Mix(Config.Seed, 0, StreamSalt));
        sinks = options.Sinks ?? [];
        device = policy.parameters().First().device;
        sampler = new Sampler(policy, tokenizer);
        optimizer = new AdamW(master.parameters(), Config.LearningRate, weightDecay: options.WeightDecay);
        // β > 0: the frozen reference is the starting policy (resumes load the saved copy over it)
        if (Config.KlBeta > 0) reference = CopyOf(policy);
    }

    /// <summary>The resolved trial config.</summary>
    public Core.Sweeps.TrainingConfig Config { get; }

    /// <summary>Steps completed.</summary>
    public int Step { get; private set; }

    /// <summary>Training problems drawn so far.</summary>
    public long DataCursor => stream.Cursor;

    /// <summary>Optimiser updates so far (drives the warm-up).</summary>
    public int Updates { get; private set; }

    public ArmBehaviour Behaviour => arm;

    /// <summary>
    /// Trains until <see cref="Core.Sweeps.TrainingConfig.TotalSteps"/> (or <paramref name="stopAfterStep"/>) steps are
    /// done or the token is cancelled (checked between steps). Evaluates and checkpoints as the options say; a cancelled
    /// or stopped run writes a checkpoint so it can be resumed.
    /// </summary>
    public TrainingSummary Run(CancellationToken cancellationToken = default, int? stopAfterStep = null)
    {
        var clock = Stopwatch.StartNew();
        var last = Math.Min(Config.TotalSteps, stopAfterStep ?? int.MaxValue);
        string? lastCheckpoint = null;
        EvalReport? lastEval = null;
        if (options.Evaluate is not null && options.EvalAtStart && Step == 0 && !cancellationToken.IsCancellationRequested)
            lastEval = Evaluate(cancellationToken);
        var cancelled = false;
        while (Step < last)
        {
            if (cancellationToken.IsCancellationRequested) { cancelled = true; break; }
            TrainStep();
            var finished = Step == Config.TotalSteps;
            if (options.CheckpointFolder is not null && options.CheckpointEverySteps > 0 && Step % options.CheckpointEverySteps == 0 && !finished)
                lastCheckpoint = SaveCheckpoint();
            if (options.Evaluate is not null && (finished || options.EvalEverySteps > 0 && Step % options.EvalEverySteps == 0))
                lastEval = Evaluate(cancellationToken);
        }
        if (options.CheckpointFolder is not null && (lastCheckpoint is null || !lastCheckpoint.EndsWith(CheckpointStore.FolderName(Step), StringComparison.Ordinal)))
            lastCheckpoint = SaveCheckpoint();
        return new TrainingSummary(Step, cancelled, lastCheckpoint, lastEval, clock.Elapsed.TotalSeconds);
    }

    private EvalReport Evaluate(CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        var report = options.Evaluate!(policy, Step, cancellationToken);
        foreach (var sink in sinks) sink.OnEval(report);
        return report;
    }

    /// <summary>One training step; returns (and sends to the sinks) its metrics.</summary>
    public StepMetrics TrainStep()
    {
        // every tensor of the step, TorchSharp's own temporaries too, is held by this scope until the step ends: a
        // temporary that nothing holds could be finalized by another thread's collection while libtorch reads it
        using var scope = NewDisposeScope();
        var step = Step + 1;
        var total = Stopwatch.StartNew();
        var cpuAtStart = ProcessCpuSeconds();
        var clock = new StepClock();
        var groupSize = Config.GroupSize;
        var wanted = Config.PromptsPerStep;
        var rounds = arm.DynamicSampling ? arm.MaxGenerationRounds : 1;

        var kept = new List<SampledGroup>();
        var allRewards = new List<double>();
        var lengths = new List<int>();
        int generated = 0, zeroStd = 0, dropped = 0, truncated = 0, round = 0;
        for (; round < rounds && kept.Count < wanted; round++)
        {
            var problems = stream.Next(wanted);
            var groups = Generate(problems, step, round, clock);
            foreach (var group in groups)
            {
                generated++;
                allRewards.AddRange(group.Rewards);
                lengths.AddRange(group.Completions.Select(c => c.Length));
                truncated += group.Completions.Count(c => c.Truncated);
                var degenerate = group.Rewards.All(r => r == group.Rewards[0]);
                if (degenerate) zeroStd++;
                if ((arm.DynamicSampling && degenerate) || kept.Count >= wanted)
                {
                    dropped++;
                    Emit(new GroupRecord(step, group.Problem.Id, group.Problem.Prompt, group.Problem.Gold, group.Texts, group.Rewards, [], [], [], [], Dropped: true));
                    continue;
                }
                kept.Add(group);
            }
        }

        var scored = Score(kept, step, clock);
        foreach (var s in scored)
            Emit(new GroupRecord(step, s.Group.Problem.Id, s.Group.Problem.Prompt, s.Group.Problem.Gold, s.Group.Texts, s.Group.Rewards,
                s.Scores.Diversity, s.ShapedRewards, s.Advantages, s.Scores.Weights, Dropped: false));

        var update = scored.Count > 0 ? Update(scored, step, clock) : UpdateTotals.None;
        Step = step;

        var rewardMean = allRewards.Count > 0 ? allRewards.Average() : double.NaN;
        var metrics = new StepMetrics(
            Step: step,
            RewardMean: rewardMean,
            RewardStd: allRewards.Count > 1 ? Math.Sqrt(allRewards.Sum(r => (r - rewardMean) * (r - rewardMean)) / allRewards.Count) : 0.0,
            ZeroStdGroupFraction: generated > 0 ? (double)zeroStd / generated : 0.0,
            Groups: scored.Count,
            DroppedGroups: dropped,
            GenerationRounds: round,
            Entropy: update.Mean(c => c.Entropy),
            ResponseLengthMean: lengths.Count > 0 ? lengths.Average() : 0.0,
            ResponseLengthMax: lengths.Count > 0 ? lengths.Max() : 0,
            TruncationRatio: lengths.Count > 0 ? (double)truncated / lengths.Count : 0.0,
            PolicyLoss: update.Mean(c => c.PolicyLoss),
            LocalTerm: update.Mean(c => c.LocalTerm),
            ClipFractionLow: update.Mean(c => c.ClipFractions.Low),
            ClipFractionHigh: update.Mean(c => c.ClipFractions.High),
            GradNorm: update.GradNorms.Count > 0 ? update.GradNorms.Average() : double.NaN,
            Kl: reference is null ? null : update.Mean(c => c.Kl ?? double.NaN),
            ApproxKlToOld: update.Mean(c => c.ApproxKlToOld),
            SemanticSimilarity: LogsSimilarityAt(step) ? MeanOrNull(scored.Select(s => (double?)DiversityMetrics.MeanPairwiseSemanticSimilarity(s.Embeddings))) : null,
            FormulaSimilarity: MeanOrNull(scored.Select(s => DiversityMetrics.MeanPairwiseFormulaSimilarity(s.FormulaSets))),
            LearningRate: update.LearningRate,
            Updates: update.Components.Count,
            TokensPerSecond: lengths.Sum() / Math.Max(total.Elapsed.TotalSeconds, 1e-9),
            Seconds: new StepTimings(total.Elapsed.TotalSeconds, clock.Generation, clock.Verify, clock.Embed, clock.Score, clock.Update,
                clock.Pack, clock.Reference, clock.Forward, clock.Loss, clock.Backward, clock.Optimizer, ProcessCpuSeconds() - cpuAtStart),
            MicroBatches: update.MicroBatches.Count,
            PaddingFraction: MicroBatches.PaddingFraction(update.MicroBatches));
        foreach (var sink in sinks) sink.OnStep(metrics);
        return metrics;
    }

    private void Emit(GroupRecord record)
    {
        foreach (var sink in sinks) sink.OnGroup(record);
    }

    private static double? MeanOrNull(IEnumerable<double?> values)
    {
        var present = values.Where(v => v.HasValue).Select(v => v!.Value).ToList();
        return present.Count > 0 ? present.Average() : null;
    }

    // ---- rollouts ----

    private sealed record SampledGroup(Problem Problem, IReadOnlyList<int> PromptIds, IReadOnlyList<Completion> Completions,
        IReadOnlyList<string> Texts, double[] Rewards);

    private sealed record ScoredGroup(SampledGroup Group, GroupScores Scores, double[] ShapedRewards, double[] Advantages,
        IReadOnlyList<float[]> Embeddings, IReadOnlyList<IReadOnlySet<string>> FormulaSets);

    private static double ProcessCpuSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    private sealed class StepClock
    {
        public double Generation, Verify, Embed, Score, Update;
        public double Pack, Reference, Forward, Loss, Backward, Optimizer;   // parts of Update

        public T Time<T>(Func<T> work, Action<double> add)
        {
            var watch = Stopwatch.StartNew();
            var result = work();
            add(watch.Elapsed.TotalSeconds);
            return result;
        }
    }

    private List<SampledGroup> Generate(IReadOnlyList<Problem> problems, int step, int round, StepClock clock)
    {
        var promptIds = problems.Select(p => tokenizer.Encode(p.Prompt)).ToList();
        options.Memory?.Check(MemoryBudget.Longest(promptIds)); // before the sampler allocates this round's KV cache
        var sampling = new SamplingOptions(MaxNewTokens: Config.MaxNewTokens, Temperature: Config.Temperature, Seed: Mix(Config.Seed, step, (ulong)round));
        var completions = clock.Time(() => sampler.Generate(promptIds, sampling, Config.GroupSize), t => clock.Generation += t);
        return clock.Time(() =>
        {
            var groups = new List<SampledGroup>(problems.Count);
            for (var p = 0; p < problems.Count; p++)
            {
                var members = completions.Skip(p * Config.GroupSize).Take(Config.GroupSize).ToList();
                var texts = members.Select(c => tokenizer.Decode(c.TokenIds)).ToList();
                var rewards = texts.Select(t => task.Verify(t, problems[p].Gold).Correct ? 1.0 : 0.0).ToArray();
                groups.Add(new SampledGroup(problems[p], promptIds[p], members, texts, rewards));
            }
            return groups;
        }, t => clock.Verify += t);
    }

    // The semantic similarity is logged every N steps, over every group, for every arm.
    private bool LogsSimilarityAt(int step) => step % options.SemanticSimilarityEverySteps == 0;

    // d changes the update only through correct rollouts (shaping and w are zero elsewhere): between logged steps an arm
    // that uses d embeds just its groups with a correct rollout, and an arm that ignores d embeds nothing.
    private bool EmbedsGroup(SampledGroup group, int step) => LogsSimilarityAt(step) || (arm.UsesDiversity && group.Rewards.Any(DsdrMath.IsCorrect));

    private List<ScoredGroup> Score(List<SampledGroup> groups, int step, StepClock clock)
    {
        if (groups.Count == 0) return [];
        var embedded = Enumerable.Range(0, groups.Count).Where(g => EmbedsGroup(groups[g], step)).ToList();
        var vectors = embedded.Count == 0 ? [] : clock.Time(() => EmbedDistinct([.. embedded.SelectMany(g => groups[g].Texts)]), t => clock.Embed += t);
        var embeddings = new IReadOnlyList<float[]>[groups.Count];
        for (var k = 0; k < embedded.Count; k++) embeddings[embedded[k]] = vectors.Skip(k * Config.GroupSize).Take(Config.GroupSize).ToList();
        return clock.Time(() =>
        {
            var scored = new List<ScoredGroup>(groups.Count);
            for (var g = 0; g < groups.Count; g++)
            {
                var group = groups[g];
                var z = embeddings[g] ?? [];
                var formulas = group.Texts.Select(t => task.Formulas.Extract(t)).ToList();
                var scores = z.Count == 0
                    ? GroupScorer.ScoreRewardsOnly(group.Rewards, arm.Scoring)
                    : GroupScorer.Score(group.Rewards, z, formulas, arm.Scoring);
                var (shaped, advantages) = arm.Overlong is { } penalty
                    ? WithLengthPenalty(scores.ShapedRewards, group.Completions, penalty)
                    : (scores.ShapedRewards, scores.Advantages);
                scored.Add(new ScoredGroup(group, scores, shaped, advantages, z, formulas));
            }
            return scored;
        }, t => clock.Score += t);
    }

    // a group of a confident policy repeats itself: encode each distinct text once (the encoder is a pure function)
    private IReadOnlyList<float[]> EmbedDistinct(List<string> texts)
    {
        var distinct = texts.Distinct(StringComparer.Ordinal).ToList();
        var vectors = embedder.Embed(distinct);
        if (vectors.Count != distinct.Count)
            throw new InvalidOperationException($"The embedder returned {vectors.Count} vectors for {distinct.Count} texts.");
        var byText = distinct.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => vectors[p.i], StringComparer.Ordinal);
        return texts.Select(t => byText[t]).ToList();
    }

    // r̃'_i = r̃_i + R_len(|o_i|);  A from r̃' by the arm's estimator (GRPO: A_i = (r̃'_i − mean(r̃')) / (std(r̃') + ε))
    private (double[] Shaped, double[] Advantages) WithLengthPenalty(double[] shaped, IReadOnlyList<Completion> completions, OverlongPenalty penalty)
    {
        var penalised = shaped.Select((r, i) => r + penalty.Of(completions[i].Length)).ToArray();
        return (penalised, arm.Scoring.Advantages(penalised));
    }

    // ---- update ----

    private sealed record UpdateTotals(List<LossComponents> Components, List<double> GradNorms, double LearningRate, List<MicroBatch> MicroBatches)
    {
        public static UpdateTotals None => new([], [], double.NaN, []);
        public double Mean(Func<LossComponents, double> pick) => Components.Count > 0 ? Components.Average(pick) : double.NaN;
    }

    private UpdateTotals Update(List<ScoredGroup> groups, int step, StepClock clock)
    {
        var watch = Stopwatch.StartNew();
        var components = new List<LossComponents>();
        var norms = new List<double>();
        var micro = new List<MicroBatch>();
        var learningRate = double.NaN;
        var miniBatches = Math.Min(Config.MiniBatchesPerStep, groups.Count);
        if (bf16 is not null) groups = WithTrainingForwardOldLogProbs(groups, step, miniBatches, clock);
        for (var epoch = 0; epoch < Config.PpoEpochs; epoch++)
        {
            var order = EpochOrder(groups.Count, step, epoch);
            for (var m = 0; m < miniBatches; m++)
            {
                var members = MiniBatch(groups, order, m, miniBatches);
                learningRate = LearningRateAt(Updates);
                var (parts, norm, plan) = UpdateOn(members, learningRate, clock);
                components.Add(parts);
                norms.Add(norm);
                micro.AddRange(plan);
                Updates++;
            }
        }
        clock.Update += watch.Elapsed.TotalSeconds;
        return new UpdateTotals(components, norms, learningRate, micro);
    }

    private int[] EpochOrder(int groups, int step, int epoch)
    {
        var order = Enumerable.Range(0, groups).ToArray();
        new SeededRandom(Mix(Config.Seed, step, ShuffleSalt + (ulong)epoch)).Shuffle(order);
        return order;
    }

    // contiguous, near-equal slices of the shuffled groups
    private static List<ScoredGroup> MiniBatch(List<ScoredGroup> groups, int[] order, int m, int miniBatches) =>
        order[(m * groups.Count / miniBatches)..((m + 1) * groups.Count / miniBatches)].Select(i => groups[i]).ToList();

    private static List<GroupShape> Shapes(List<ScoredGroup> groups) => groups.Select(g => new GroupShape(
        g.Group.Completions.Select(_ => g.Group.PromptIds.Count).ToArray(),
        g.Group.Completions.Select(c => c.Length).ToArray())).ToList();

    // In bf16 the sampler's incremental forward and the packed training forward round differently (|Δ log π| ~ 1e-2),
    // so π_old is recomputed, before any update, by the training forward itself on the first epoch's micro-batches
    // exactly as they will be packed (verl's recomputed old_log_prob), with autograd on as there: the first mini-batch's
    // ratio is then exactly 1. Peak memory is the update's: one micro-batch's graph at a time.
    private List<ScoredGroup> WithTrainingForwardOldLogProbs(List<ScoredGroup> groups, int step, int miniBatches, StepClock clock)
    {
        var watch = Stopwatch.StartNew();
        policy.train();
        policy.GradientCheckpointing = Config.GradientCheckpointing;
        var rescored = new Dictionary<ScoredGroup, ScoredGroup>(ReferenceEqualityComparer.Instance);
        var order = EpochOrder(groups.Count, step, 0);
        for (var m = 0; m < miniBatches; m++)
        {
            var members = MiniBatch(groups, order, m, miniBatches);
            foreach (var micro in MicroBatches.Plan(Shapes(members), Config.MaxTokensPerMicroBatch))
            {
                using var scope = NewDisposeScope();
                var packed = micro.Groups.Select(g => members[g]).ToList();
                using var batch = Pack(packed);
                // the update's forward and log π (z[y] − logsumexp z), with autograd on as there (its kernels may differ from
                // inference's); nothing is backpropagated
                var logProbs = TokenLogProbs.SequenceLogProbs(batch.ResponseLogits(policy), batch.ResponseIds).detach().cpu();
                var values = logProbs.data<float>().ToArray();
                var width = (int)batch.ResponseWidth;
                var row = 0;
                foreach (var group in packed)
                {
                    var completions = group.Group.Completions
                        .Select(c => c with { LogProbs = values.AsSpan((row++) * width, c.Length).ToArray() }).ToList();
                    rescored[group] = group with { Group = group.Group with { Completions = completions } };
                }
            }
        }
        clock.Reference += watch.Elapsed.TotalSeconds;
        return groups.Select(g => rescored[g]).ToList();
    }

    // The rollouts of whole groups, left-padded prompts and right-padded responses, with the sampler's π_old.
    private RolloutBatch Pack(List<ScoredGroup> groups) => RolloutBatch.Create(
        groups.Select(g => g.Group.PromptIds).ToList(),
        groups.SelectMany((g, index) => g.Group.Completions.Select(c => c with { PromptIndex = index })).ToList(),
        Config.Temperature, device, tokenizer.PadId);

    // lr_u = lr · min(1, (u + 1) / W)   (W = warm-up updates; 0 = none)
    public double LearningRateAt(int update) =>
        Config.WarmupSteps > 0 ? Config.LearningRate * Math.Min(1.0, (update + 1.0) / Config.WarmupSteps) : Config.LearningRate;

    private (LossComponents Parts, double GradNorm, IReadOnlyList<MicroBatch> Plan) UpdateOn(List<ScoredGroup> groups, double learningRate, StepClock clock)
    {
        var shapes = Shapes(groups);
        var plan = MicroBatches.Plan(shapes, Config.MaxTokensPerMicroBatch);
        // split: each micro-batch's loss is normalised by the whole mini-batch, so their sum is the mini-batch's loss
        var totals = plan.Count > 1
            ? new MiniBatchTotals(shapes.Sum(s => (double)s.ResponseLengths.Sum()), shapes.Sum(s => s.Rows), groups.Count)
            : null;
        policy.train();
        policy.GradientCheckpointing = Config.GradientCheckpointing;
        var watch = Stopwatch.StartNew();
        optimizer.ZeroGrad();
        bf16?.ZeroGrad();
        clock.Optimizer += watch.Elapsed.TotalSeconds;
        var parts = new List<(LossComponents Components, double Tokens)>();
        foreach (var micro in plan)
        {
            var components = BackwardOn(micro.Groups.Select(g => groups[g]).ToList(), totals, clock);
            parts.Add((components, micro.Groups.Sum(g => (double)shapes[g].ResponseLengths.Sum())));
        }
        watch.Restart();
        bf16?.GradientsToMasters();
        var norm = nn.utils.clip_grad_norm_(master.parameters(), Config.GradClip);
        optimizer.LearningRate = learningRate;
        optimizer.Step();
        bf16?.Refresh();
        clock.Optimizer += watch.Elapsed.TotalSeconds;
        return (parts.Count == 1 ? parts[0].Components : Combine(parts), norm, plan);
    }

    // Accumulates one micro-batch's gradient; returns its loss parts.
    private LossComponents BackwardOn(List<ScoredGroup> groups, MiniBatchTotals? totals, StepClock clock)
    {
        using var scope = NewDisposeScope();
        var watch = Stopwatch.StartNew();
        var advantages = new List<float>();
        var weights = new List<float>();
        var groupIndex = new List<long>();
        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            for (var i = 0; i < group.Group.Completions.Count; i++)
            {
                advantages.Add((float)group.Advantages[i]);
                weights.Add((float)group.Scores.Weights[i]);
                groupIndex.Add(g);
            }
        }
        using var batch = Pack(groups);
        var lossInputs = (Advantages: tensor(advantages.ToArray(), device: device), Weights: tensor(weights.ToArray(), device: device),
            GroupIndex: tensor(groupIndex.ToArray(), device: device));
        clock.Pack += Lap(watch);
        Tensor? referenceLogProbs = null;
        if (reference is not null)
            using (no_grad())
                referenceLogProbs = batch.TokenLogProbs(batch.ResponseLogits(reference));
        clock.Reference += Lap(watch);
        var logits = batch.ResponseLogits(policy);
        clock.Forward += Lap(watch);
        var lossBatch = new PolicyLossBatch(batch.ResponseIds, batch.OldLogProbs, batch.ResponseMask,
            lossInputs.Advantages, lossInputs.Weights, lossInputs.GroupIndex, referenceLogProbs);
        var result = DsdrLoss.Compute(logits, lossBatch, arm.Loss, totals);
        if (!double.IsFinite(result.Components.Total))
            throw new TrainingDivergedException(result.Components.Total, Updates, Config.LearningRate);
        clock.Loss += Lap(watch);
        result.Loss.backward();
        clock.Backward += Lap(watch);
        return result.Components;
    }

    // seconds since the watch last started; restarts it
    private static double Lap(Stopwatch watch)
    {
        var seconds = watch.Elapsed.TotalSeconds;
        watch.Restart();
        return seconds;
    }

    // Micro-batch parts of one update: the normalised losses add up; per-token statistics are token-weighted means.
    private static LossComponents Combine(List<(LossComponents Components, double Tokens)> parts)
    {
        var tokens = Math.Max(parts.Sum(p => p.Tokens), 1);
        double Weighted(Func<LossComponents, double> pick) => parts.Sum(p => pick(p.Components) * p.Tokens) / tokens;
        return new LossComponents(
            Total: parts.Sum(p => p.Components.Total),
            PolicyLoss: parts.Sum(p => p.Components.PolicyLoss),
            LocalTerm: parts.Sum(p => p.Components.LocalTerm),
            Kl: parts[0].Components.Kl is null ? null : parts.Sum(p => p.Components.Kl ?? 0),
            ClipFractions: new ClipFractions(Weighted(c => c.ClipFractions.Low), Weighted(c => c.ClipFractions.High), Weighted(c => c.ClipFractions.Dual)),
            Entropy: Weighted(c => c.Entropy),
            ApproxKlToOld: Weighted(c => c.ApproxKlToOld));
    }

    // ---- checkpoints ----

    /// <summary>Writes a checkpoint of the current state into <see cref="TrainerOptions.CheckpointFolder"/>; returns its folder.</summary>
    public string SaveCheckpoint()
    {
        var root = options.CheckpointFolder ?? throw new InvalidOperationException("TrainerOptions.CheckpointFolder is not set; give a folder to checkpoint into.");
        var state = new TrainerState(CheckpointStore.FormatVersion, Step, stream.Cursor, Updates, Config);
        var folder = CheckpointStore.Save(root, state, master, tokenizer, optimizer, reference, options.KeepCheckpoints);
        var record = new CheckpointRecord(Step, folder);
        foreach (var sink in sinks) sink.OnCheckpoint(record);
        return folder;
    }

    /// <summary>
    /// Restores the newest checkpoint under <paramref name="checkpointFolder"/> (default: the options' folder): model,
    /// optimiser, frozen reference, step, data cursor and update count. Returns false when there is none. The saved
    /// config must equal this trainer's, except for <see cref="Core.Sweeps.TrainingConfig.TotalSteps"/>.
    /// </summary>
    public bool TryResume(string? checkpointFolder = null)
    {
        var root = checkpointFolder ?? options.CheckpointFolder ?? throw new InvalidOperationException("No checkpoint folder: set TrainerOptions.CheckpointFolder or pass one.");
        var latest = CheckpointStore.Latest(root);
        if (latest is null) return false;
        var state = CheckpointStore.Load(latest, master, optimizer, reference);
        bf16?.Refresh();
        if (state.Config with { TotalSteps = 0 } != Config with { TotalSteps = 0 })
            throw new InvalidOperationException($"Checkpoint {latest} was written by a run with a different config; resume with the same config (only totalSteps may change) or start a new output folder.");
        Step = state.Step;
        stream.Cursor = state.DataCursor;
        Updates = state.Updates;
        return true;
    }

    // ---- seeds ----

    private const ulong StreamSalt = 0xDA7A;
    private const ulong ShuffleSalt = 0x5_0000;

    /// <summary>A 64-bit seed from (trial seed, step, salt): one SplitMix64 output of their mix.</summary>
    public static ulong Mix(int seed, int step, ulong salt) =>
        new SeededRandom((ulong)(uint)seed * 0x9E3779B97F4A7C15UL ^ (ulong)(uint)step * 0xC2B2AE3D27D4EB4FUL ^ salt * 0x165667B19E3779F9UL).NextUInt64();

    private static Qwen2ForCausalLM CopyOf(Qwen2ForCausalLM source)
    {
        var copy = Qwen2ForCausalLM.Create(source.Config);
        var like = source.parameters().First();
        copy.to(like.device);
        if (like.dtype != ScalarType.Float32) copy.to(like.dtype);
        using var noGrad = no_grad();
        var target = copy.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, parameter) in source.named_parameters()) target[name].copy_(parameter);
        copy.eval();
        foreach (var p in copy.parameters()) p.requires_grad = false;
        return copy;
    }

    public void Dispose()
    {
        optimizer.Dispose();
        reference?.Dispose();
        bf16?.Dispose();
    }
}
