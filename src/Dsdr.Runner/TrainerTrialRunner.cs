using System.Collections.Immutable;
using System.Text.Json;
using System.Threading.Channels;
using Dsdr.Contracts;
using Dsdr.Core.Method;
using Dsdr.Core.Reports;
using Dsdr.Core.Results;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Grains.Running;
using Dsdr.Learning.Data;
using Dsdr.Learning.Evaluation;
using Dsdr.Learning.Training;

namespace Dsdr.Runner;

/// <summary>How the trainer runner runs its trials.</summary>
/// <param name="CheckpointDirectory">Shared by every node; a trial writes under &lt;dir&gt;/&lt;trialId&gt;/ (trial.json, JSONL files, checkpoints/).</param>
/// <param name="Threads">Intra-op CPU threads of libtorch: process-wide, set once by the first trial of the process (<see cref="Learning.Compute.LibTorchProcess"/>).</param>
/// <param name="HeartbeatInterval">How often the runner says it is alive inside a long step.</param>
/// <param name="ReportQueueCapacity">Reports the training thread may run ahead of the platform before it waits.</param>
/// <param name="SftCacheFolder">Where SFT backbones are cached; null = &lt;CheckpointDirectory&gt;/sft-cache.</param>
/// <param name="DataRoots">Dsdr:DataRoots: the folders a trial's files must still lie in when it opens them; null = not checked.</param>
public sealed record TrainerRunnerOptions(
    string CheckpointDirectory,
    int Threads = 1,
    int CheckpointEverySteps = 50,
    int KeepCheckpoints = 2,
    TimeSpan? HeartbeatInterval = null,
    int ReportQueueCapacity = 256,
    string? SftCacheFolder = null,
    IReadOnlyList<string>? DataRoots = null)
{
    public TimeSpan Heartbeat => HeartbeatInterval ?? TimeSpan.FromSeconds(5);
}

/// <summary>
/// The real <see cref="ITrialRunner"/>: trains a trial with Dsdr.Learning's <see cref="TrialRunner"/> on a dedicated
/// thread. The trainer's synchronous <see cref="ITrainingSink"/> callbacks are put on a bounded channel that one
/// async pump drains in order into the reporter (metrics, steps, heartbeats, rollout groups, checkpoints): the runner
/// sees only that port, so every report gets the slot's retry and idempotence. The training thread blocks when the
/// channel is full (back-pressure) and waits at each checkpoint until the trial has recorded it, so the trainer's
/// rotation cannot delete a checkpoint before it is recorded and every metric reported before it is durable first.
/// </summary>
public sealed class TrainerTrialRunner(TrainerRunnerOptions options, Func<IEmbedder> embedder) : ITrialRunner
{
    public const string SftCacheName = "sft-cache";

    private readonly Lazy<IEmbedder> _embedder = new(embedder, LazyThreadSafetyMode.ExecutionAndPublication);

    public async Task<TrialOutcome> RunAsync(TrialAssignment assignment, ITrialReporter reporter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        ArgumentNullException.ThrowIfNull(reporter);
        var trial = ParseTrial(assignment.Trial);
        var output = TrialFolder(options.CheckpointDirectory, assignment.Trial.TrialId);
        var resume = PrepareCheckpoints(Path.Combine(output, TrialRunner.CheckpointsFolder), assignment);
        var total = trial.Config.TotalSteps;
        var dataset = trial.Task.Kind.Name;
        var task = TaskCatalog.Get(dataset);

        using var reportingFailed = new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, reportingFailed.Token);
        var channel = Channel.CreateBounded<Report>(new BoundedChannelOptions(options.ReportQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var sink = new ChannelSink(channel.Writer, reportingFailed.Token);
        var pump = Task.Run(() => PumpAsync(channel.Reader, reporter, assignment.Trial.TrialId, dataset, task, total, reportingFailed), CancellationToken.None);
        using var heartbeat = new Timer(_ => channel.Writer.TryWrite(new Heartbeat()), null, options.Heartbeat, options.Heartbeat);

        TrialResult result;
        try
        {
            var runOptions = new TrialRunOptions(output, resume, Device: DeviceOf(assignment.SlotKey), Threads: options.Threads,
                CheckpointEverySteps: options.CheckpointEverySteps, KeepCheckpoints: options.KeepCheckpoints,
                SftCacheFolder: options.SftCacheFolder ?? Path.Combine(options.CheckpointDirectory, SftCacheName), Sinks: [sink],
                MemoryBudgetGiB: trial.Resources?.MemoryGiB, DataRoots: options.DataRoots);
            var embedderInstance = _embedder.Value;
            result = await Task.Factory.StartNew(() => TrialRunner.WithDefaults(embedderInstance).Run(trial, runOptions, stop.Token),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (Exception training)
        {
            await heartbeat.DisposeAsync();
            channel.Writer.TryComplete();
            await pump; // a reporting failure is the cause: it surfaces here
            if (training is OperationCanceledException && cancellationToken.IsCancellationRequested) return TrialOutcome.Cancelled(sink.LastStep);
            throw;
        }
        await heartbeat.DisposeAsync();
        channel.Writer.TryComplete();
        await pump;
        return result.Training.Cancelled ? TrialOutcome.Cancelled(result.Training.Steps) : TrialOutcome.Completed(result.Training.Steps);
    }

    /// <summary>Core's TrialSpec from the descriptor's ConfigJson (what the sweep layer wrote with <see cref="TrialSpec.ToJson"/>).</summary>
    public static TrialSpec ParseTrial(TrialDescriptor descriptor)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        TrialSpec? trial;
        try
        {
            trial = JsonSerializer.Deserialize<TrialSpec>(descriptor.ConfigJson, SweepJson.Options);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"Trial {descriptor.TrialId}: ConfigJson is not a Core TrialSpec ({ex.Message}); submit TrialSpec.ToJson() of an expanded sweep.", ex);
        }
        // System.Text.Json leaves absent record members null: name the first missing one
        string? missing = trial is null ? "the whole spec"
            : trial.Config is null ? "config" : trial.Task is null ? "task" : trial.Model is null ? "model" : trial.Eval is null ? "eval" : null;
        if (missing is not null)
            throw new ArgumentException($"Trial {descriptor.TrialId}: ConfigJson is not a Core TrialSpec ({missing} is missing); submit TrialSpec.ToJson() of an expanded sweep.");
        return trial!;
    }

    /// <summary>&lt;checkpointDirectory&gt;/&lt;trialId&gt;, refusing ids that would leave the folder.</summary>
    public static string TrialFolder(string checkpointDirectory, string trialId)
    {
        if (string.IsNullOrWhiteSpace(trialId) || trialId.IndexOfAny(['/', '\\']) >= 0 || trialId is "." or ".." || trialId.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new ArgumentException($"Trial id '{trialId}' cannot name a folder; use letters, digits, '-', '_' and '.'.");
        return Path.Combine(checkpointDirectory, trialId);
    }

    /// <summary>libtorch device of a slot key "node/cpu:N" or "node/cuda:N": "cpu" (one CPU device) or "cuda:N".</summary>
    public static string DeviceOf(string slotKey)
    {
        var (_, kind, index) = SlotKeys.Parse(slotKey);
        return kind == DeviceKind.Cuda ? $"cuda:{index}" : "cpu";
    }

    /// <summary>
    /// Makes the trial's checkpoint folder hold only checkpoints the trial recorded: none for a fresh attempt, none newer
    /// than the resume step otherwise (a newer one was written but never recorded, so its metrics may not be durable).
    /// Returns whether to resume.
    /// </summary>
    internal static bool PrepareCheckpoints(string root, TrialAssignment assignment)
    {
        if (assignment.ResumeCheckpointPath is not { } resumeFrom)
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
            return false;
        }
        var complete = Directory.Exists(root) ? CheckpointStore.Complete(root) : [];
        var full = Path.GetFullPath(resumeFrom);
        if (!complete.Any(c => Path.GetFullPath(c.Folder) == full))
            throw new InvalidOperationException($"Trial {assignment.Trial.TrialId}: resume checkpoint {resumeFrom} is not a complete checkpoint under {root}; " +
                "every node needs the same shared CheckpointDirectory.");
        foreach (var (step, folder) in complete)
            if (step > assignment.ResumeStep) Directory.Delete(folder, recursive: true);
        return true;
    }

    private static async Task PumpAsync(ChannelReader<Report> reader, ITrialReporter reporter, string trialId, string dataset, IReasoningTask task,
        int total, CancellationTokenSource stop)
    {
        try
        {
            await foreach (var report in reader.ReadAllAsync())
            {
                switch (report)
                {
                    case StepReport s:
                        await reporter.ReportMetricsAsync(s.Metrics.Step, StepMetricNames.Of(s.Metrics));
                        await reporter.ReportStepAsync(s.Metrics.Step, total);
                        break;
                    case EvalReportItem e when e.Report.Figures.Count > 0:
                        // the per-problem rows first: once the figures are stored, the rows behind them are too
                        if (e.Report.ProblemOutcomes.Count > 0) await reporter.ReportEvalProblemsAsync(e.Report.Step, e.Report.ProblemOutcomes);
                        await reporter.ReportEvalFiguresAsync(e.Report.Step, StepMetricNames.FiguresOf(e.Report));
                        break;
                    case GroupReport g:
                        await reporter.ReportRolloutGroupAsync(ToRecord(trialId, dataset, task, g.Group));
                        break;
                    case CheckpointReport c:
                        try
                        {
                            await reporter.ReportCheckpointAsync(c.Checkpoint.Folder, c.Checkpoint.Step);
                            c.Recorded.TrySetResult();
                        }
                        catch (Exception ex)
                        {
                            c.Recorded.TrySetException(ex);
                            throw;
                        }
                        break;
                    case Heartbeat:
                        await reporter.HeartbeatAsync();
                        break;
                }
            }
        }
        catch
        {
            await stop.CancelAsync(); // the platform cannot hear the trainer: stop training at the next step
            while (reader.TryRead(out var left))
                if (left is CheckpointReport c) c.Recorded.TrySetCanceled();
            throw;
        }
    }

    /// <summary>A trainer group as the platform's record; the correct rollouts carry the task's solution key.</summary>
    internal static RolloutGroupRecord ToRecord(string trialId, string dataset, IReasoningTask task, GroupRecord g)
    {
        // Dropped groups (DAPO's all-0/all-1 groups) were never scored: r̃, A, w are 0 for them and d is absent, as it is for the
        // groups of an arm that ignores d on a step that does not log the semantic similarity.
        static double At(IReadOnlyList<double> values, int i) => i < values.Count ? values[i] : 0;
        static double? DiversityAt(IReadOnlyList<double> values, int i) => i < values.Count ? values[i] : null;
        var rollouts = g.Texts.Select((text, i) =>
        {
            var correct = g.Rewards[i] > 0;
            var key = correct ? task.SolutionKey(text, g.Gold) : null;
            return new ScoredRollout(text, g.Rewards[i], correct, key, DiversityAt(g.Diversity, i), At(g.ShapedRewards, i), At(g.Advantages, i), At(g.Weights, i));
        }).ToImmutableArray();
        return new RolloutGroupRecord(trialId, g.Step, GrainKeys.Problem(dataset, g.ProblemId), g.Prompt, rollouts, g.Gold);
    }

    private abstract record Report;
    private sealed record StepReport(StepMetrics Metrics) : Report;
    private sealed record EvalReportItem(EvalReport Report) : Report;
    private sealed record GroupReport(GroupRecord Group) : Report;
    private sealed record CheckpointReport(CheckpointRecord Checkpoint, TaskCompletionSource Recorded) : Report;
    private sealed record Heartbeat : Report;

    /// <summary>The trainer's side of the channel: called on the training thread, it blocks while the channel is full.</summary>
    private sealed class ChannelSink(ChannelWriter<Report> writer, CancellationToken reportingFailed) : ITrainingSink
    {
        public int LastStep { get; private set; }

        public void OnStep(StepMetrics metrics)
        {
            Write(new StepReport(metrics));
            LastStep = metrics.Step;
        }

        public void OnGroup(GroupRecord group) => Write(new GroupReport(group));

        public void OnEval(EvalReport report) => Write(new EvalReportItem(report));

        public void OnCheckpoint(CheckpointRecord checkpoint)
        {
            var recorded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Write(new CheckpointReport(checkpoint, recorded));
            recorded.Task.GetAwaiter().GetResult();
        }

        // Blocking is fine: this is the trainer's own LongRunning thread, never a grain or pool thread.
        // Only a failed pump aborts a write; a cancelled trial still reports its last step and final checkpoint.
        private void Write(Report report) => writer.WriteAsync(report, reportingFailed).AsTask().GetAwaiter().GetResult();
    }
}

/// <summary>Metric names the trainer runner reports (one row per trial/step/name in the metrics table).</summary>
public static class StepMetricNames
{
    public const string RewardMean = "reward/mean";

    public static IReadOnlyDictionary<string, double> Of(StepMetrics m)
    {
        var d = new Dictionary<string, double>
        {
            [RewardMean] = m.RewardMean,
            ["reward/std"] = m.RewardStd,
            ["groups/zero_std_fraction"] = m.ZeroStdGroupFraction,
            ["groups/count"] = m.Groups,
            ["groups/dropped"] = m.DroppedGroups,
            ["groups/generation_rounds"] = m.GenerationRounds,
            [TrainingCurveNames.Entropy] = m.Entropy,
            ["response/length_mean"] = m.ResponseLengthMean,
            ["response/length_max"] = m.ResponseLengthMax,
            ["response/truncation_ratio"] = m.TruncationRatio,
            ["loss/policy"] = m.PolicyLoss,
            ["loss/local_term"] = m.LocalTerm,
            ["clip/fraction_low"] = m.ClipFractionLow,
            ["clip/fraction_high"] = m.ClipFractionHigh,
            ["grad_norm"] = m.GradNorm,
            ["kl/approx_to_old"] = m.ApproxKlToOld,
            ["lr"] = m.LearningRate,
            ["updates"] = m.Updates,
            ["tokens_per_second"] = m.TokensPerSecond,
            ["batch/micro_batches"] = m.MicroBatches,
            ["batch/padding_fraction"] = m.PaddingFraction,
            ["seconds/total"] = m.Seconds.Total,
            ["seconds/generation"] = m.Seconds.Generation,
            ["seconds/verify"] = m.Seconds.Verify,
            ["seconds/embed"] = m.Seconds.Embed,
            ["seconds/score"] = m.Seconds.Score,
            ["seconds/update"] = m.Seconds.Update,
        };
        if (m.Kl is { } kl) d["kl/reference"] = kl;
        if (m.SemanticSimilarity is { } s) d[TrainingCurveNames.SemanticSimilarity] = s;
        if (m.FormulaSimilarity is { } f) d[TrainingCurveNames.FormulaSimilarity] = f;
        // the sink refuses NaN/∞ (e.g. a step with no update): leave such a value out rather than fail the trial
        foreach (var name in d.Where(kv => !double.IsFinite(kv.Value)).Select(kv => kv.Key).ToList()) d.Remove(name);
        return d;
    }

    /// <summary>The report's finite figures, keyed by (benchmark, metric, k); benchmark and metric names may not contain '/' or '@'.</summary>
    public static IReadOnlyList<EvalFigureValue> FiguresOf(EvalReport report) =>
        [.. report.Figures.Where(f => double.IsFinite(f.Value)).Select(f => new EvalFigureValue(new EvalFigureKey(f.Benchmark, f.Metric, f.K), f.Value))];
}
