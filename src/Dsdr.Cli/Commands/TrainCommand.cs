using System.CommandLine;
using System.Globalization;
using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Evaluation;
using Dsdr.Learning.Training;
using Spectre.Console;

namespace Dsdr.Cli.Commands;

/// <summary>
/// <c>dsdr train --config FILE</c>: one trial locally. The config is a sweep spec (examples/countdown-train.json) that
/// resolves to one trial: one arm (or <c>--arm</c>), one seed (or <c>--seed</c>) and no grid. Writes trial.json,
/// metrics.jsonl, groups.jsonl, evals.jsonl, checkpoints/ and summary.json into <c>--out</c>; shows a live progress bar
/// on a terminal and one line per step otherwise; prints the final evaluation. Bad input exits 2 naming the field.
/// </summary>
internal static class TrainCommand
{
    public static Command Create(CliIo io, Func<IEmbedder> embedder, WarmStart? warmStart = null, BenchmarkEvaluation? evaluate = null)
    {
        var o = new Options();
        var command = new Command("train", "Train one trial (task, model, arm, seed from a sweep-spec config) with a live progress bar; metrics as JSONL.")
        {
            o.Config, o.Arm, o.Seed, o.Out, o.Resume, o.Steps, o.CheckpointEvery, o.Device, o.Threads, o.SftCache,
        };
        command.SetAction((parse, ct) => Task.FromResult(Run(parse, o, io, embedder, warmStart, evaluate, ct)));
        return command;
    }

    private sealed class Options
    {
        public readonly Option<string> Config = new("--config") { Description = "Trial config: a sweep spec with one arm, one seed and no grid (or pick them with --arm/--seed).", Required = true };
        public readonly Option<string?> Arm = new("--arm") { Description = "The arm to train when the config lists several." };
        public readonly Option<int?> Seed = new("--seed") { Description = "The seed (default: the config's first)." };
        public readonly Option<string?> Out = new("--out") { Description = "Output folder (default: runs/<name>-<arm>-s<seed>)." };
        public readonly Option<bool> Resume = new("--resume") { Description = "Continue from the newest checkpoint in --out." };
        public readonly Option<int?> Steps = new("--steps") { Description = "Override totalSteps (a resumed run may extend it)." };
        public readonly Option<int> CheckpointEvery = new("--checkpoint-every") { Description = "Checkpoint every N steps (and at the end).", DefaultValueFactory = _ => 50 };
        public readonly Option<string> Device = new("--device") { Description = "auto, cpu, cuda or cuda:N.", DefaultValueFactory = _ => "auto" };
        public readonly Option<int> Threads = new("--threads") { Description = "CPU threads for libtorch (default 1, as a learner slot: the same bits as the platform; 0 = one per core, faster, other last bits).", DefaultValueFactory = _ => 1 };
        public readonly Option<string?> SftCache = new("--sft-cache") { Description = "Folder of cached SFT backbones (default: beside --out, sft-cache/)." };
    }

    /// <summary>The one trial a config and the --arm/--seed choices name.</summary>
    internal static TrialSpec SelectTrial(SweepSpec spec, string? arm, int? seed)
    {
        if (arm is null && spec.Arms.Count > 1)
            throw new CliInputException($"--arm: the config lists arms {string.Join(", ", spec.Arms)}; choose one with --arm.");
        arm ??= spec.Arms[0];
        if (!spec.Arms.Contains(arm))
            throw new CliInputException($"--arm: \"{arm}\" is not one of the config's arms ({string.Join(", ", spec.Arms)}).");
        var trials = SweepExpander.Expand(spec with { Arms = [arm], Seeds = [seed ?? spec.Seeds[0]] });
        if (trials.Count != 1)
            throw new CliInputException($"$.grid: the config expands to {trials.Count} trials for arm {arm}; dsdr train runs one: remove the grid (use dsdr sweep for grids).");
        return trials[0];
    }

    private static int Run(ParseResult parse, Options o, CliIo io, Func<IEmbedder> embedderFactory, WarmStart? warmStart,
        BenchmarkEvaluation? evaluate, CancellationToken cancellationToken)
    {
        var path = parse.GetValue(o.Config)!;
        var spec = SweepCommand.Parse(CliFiles.ReadAllText(path, io, "config"));
        var trial = SelectTrial(spec, parse.GetValue(o.Arm), parse.GetValue(o.Seed));
        var steps = parse.GetValue(o.Steps);
        if (steps is < 1) throw new CliInputException($"--steps must be at least 1, got {steps}.");
        var checkpointEvery = parse.GetValue(o.CheckpointEvery);
        if (checkpointEvery < 0) throw new CliInputException($"--checkpoint-every must be ≥ 0 (0 = at the end only), got {checkpointEvery}.");
        var threads = parse.GetValue(o.Threads);
        if (threads < 0) throw new CliInputException($"--threads must be ≥ 0 (0 = one per core), got {threads}.");
        if (trial.Model.Preset is not null && trial.Model.Sft.Enabled && warmStart is null)
            throw new CliInputException("$.model.sft.enabled: this build has no SFT warm start; set it to false to train from random weights.");
        if (trial.Model.Checkpoint is not null && trial.Model.Sft.Enabled)
            throw new CliInputException("$.model.sft.enabled: SFT warm start is only for preset models; set it to false for a checkpoint.");
        if (trial.Model.Checkpoint is { } folder && !Directory.Exists(folder))
            throw new CliInputException($"$.model.checkpoint: folder {folder} does not exist.");
        var output = parse.GetValue(o.Out) ?? Path.Combine("runs", $"{trial.SweepName}-{trial.Arm}-s{trial.Seed}");
        var resume = parse.GetValue(o.Resume);
        if (!resume && CheckpointStore.Latest(Path.Combine(output, TrialRunner.CheckpointsFolder)) is { } existing)
            throw new CliInputException($"--out: {output} already holds a checkpoint ({Path.GetFileName(existing)}); add --resume or choose another folder.");
        var device = parse.GetValue(o.Device)!;
        try
        {
            new Learning.Compute.ComputeConfig(device, threads).ResolveDevice();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new CliInputException($"--device: {e.Message}");
        }

        var totalSteps = steps ?? trial.Config.TotalSteps;
        io.Output.WriteLine($"dsdr train: {trial.SweepName} arm {trial.Arm} seed {trial.Seed}, {totalSteps} steps of B = {trial.Config.PromptsPerStep} × G = {trial.Config.GroupSize} → {output}");
        var interactive = ReferenceEquals(io.Output, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        if (interactive) Console.CancelKeyPress += onCancel;
        try
        {
            var runner = new TrialRunner(embedderFactory(), warmStart, evaluate);
            TrialResult result;
            if (interactive)
            {
                result = null!;
                AnsiConsole.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(context =>
                    {
                        var task = context.AddTask("starting", maxValue: totalSteps);
                        // the bar shows step, reward and entropy (ETA in its own column); other news prints above it
                        var sink = new ProgressSink(m =>
                        {
                            task.Value = m.Step;
                            task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                                $"step {m.Step}/{totalSteps}  reward {m.RewardMean:0.000}  entropy {m.Entropy:0.000}"));
                        }, AnsiConsole.WriteLine);
                        result = runner.Run(trial, RunOptions(output, resume, steps, device, threads, checkpointEvery, parse.GetValue(o.SftCache), sink,
                            AnsiConsole.WriteLine), cancel.Token);
                    });
            }
            else
            {
                var sink = new ProgressSink(m => io.Output.WriteLine(StepLine(m, totalSteps)), io.Output.WriteLine);
                result = runner.Run(trial, RunOptions(output, resume, steps, device, threads, checkpointEvery, parse.GetValue(o.SftCache), sink, io.Output.WriteLine), cancel.Token);
            }
            WriteSummary(result, io.Output);
            return result.Training.Cancelled ? CliExit.Failed : CliExit.Ok;
        }
        catch (Learning.Data.TaskDataException e)
        {
            throw new CliInputException($"$.task: {e.Message}");
        }
        catch (Learning.Data.ChatTemplateException e)
        {
            throw new CliInputException($"$.{e.Message}");
        }
        finally
        {
            if (interactive) Console.CancelKeyPress -= onCancel;
        }
    }

    private static TrialRunOptions RunOptions(string output, bool resume, int? steps, string device, int threads, int checkpointEvery,
        string? sftCache, ITrainingSink sink, Action<string> log) =>
        new(output, resume, steps, device, threads, checkpointEvery, KeepCheckpoints: 2, sftCache, [sink], log);

    internal static string StepLine(StepMetrics m, int totalSteps) => string.Create(CultureInfo.InvariantCulture,
        $"step {m.Step}/{totalSteps}  reward {m.RewardMean:0.000}  entropy {m.Entropy:0.000}  len {m.ResponseLengthMean:0.0}  pg {m.PolicyLoss:0.0000}  {m.Seconds.Total:0.00} s/step  ETA {TimeSpan.FromSeconds(m.Seconds.Total * (totalSteps - m.Step)):hh\\:mm\\:ss}");

    private static void WriteSummary(TrialResult result, TextWriter output)
    {
        var s = result.Training;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(s.Cancelled ? "cancelled" : "done")} at step {s.Steps} in {s.Seconds:0.0} s{(result.Resumed ? " (resumed)" : "")}; checkpoint {s.LastCheckpoint ?? "none"}"));
        if (s.FinalEval is not { } eval) { output.WriteLine("no evaluation (this build has no evaluator)"); return; }
        output.WriteLine($"evaluation at step {eval.Step}:");
        foreach (var group in eval.Figures.GroupBy(f => f.Benchmark))
            output.WriteLine($"  {group.Key}: " + string.Join("  ", group.Select(f =>
                string.Create(CultureInfo.InvariantCulture, $"{f.Metric}{(f.K is { } k ? "@" + k : "")} {f.Value:0.000}"))));
    }

    private sealed class ProgressSink(Action<StepMetrics> onStep, Action<string> onLine) : ITrainingSink
    {
        public void OnStep(StepMetrics metrics) => onStep(metrics);
        public void OnGroup(GroupRecord group) { }
        public void OnEval(EvalReport report) => onLine(string.Create(CultureInfo.InvariantCulture,
            $"eval at step {report.Step} ({report.Seconds:0.0} s): ") + string.Join("  ", report.Figures
                .Where(f => f.Metric is "avg" or "pass1").Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Benchmark} {f.Metric}{(f.K is { } k ? "@" + k : "")} {f.Value:0.000}"))));
        public void OnCheckpoint(CheckpointRecord checkpoint) => onLine($"checkpoint {checkpoint.Folder}");
    }
}
