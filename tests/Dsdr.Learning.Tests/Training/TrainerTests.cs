using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Compute;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Evaluation;
using Dsdr.Learning.Training;
using TorchSharp;
using Xunit;
using static Dsdr.Learning.Tests.Training.TrainingFixtures;

namespace Dsdr.Learning.Tests.Training;

public class TrainerTests
{
    private static bool Parity(string text) => text.Sum(c => c) % 2 == 0;

    [Fact]
    public void Every_arm_runs_a_few_steps_with_finite_losses_and_sane_metrics()
    {
        foreach (var armName in ArmPresets.Names)
        {
            using var policy = Policy();
            var sink = new MemoryTrainingSink();
            using var trainer = Trainer(policy, new TrainerOptions(Config(armName), Sinks: [sink], SemanticSimilarityEverySteps: 1), new ScriptedTask(Parity));
            var summary = trainer.Run();

            Assert.Equal(3, summary.Steps);
            Assert.False(summary.Cancelled);
            Assert.Equal(3, sink.Steps.Count);
            foreach (var m in sink.Steps)
            {
                Assert.InRange(m.RewardMean, 0, 1);
                Assert.InRange(m.ZeroStdGroupFraction, 0, 1);
                Assert.InRange(m.TruncationRatio, 0, 1);
                Assert.InRange(m.ResponseLengthMean, 1, 6);
                Assert.InRange(m.ResponseLengthMax, 1, 6);
                if (m.Updates == 0) { Assert.Equal(0, m.Groups); continue; }
                Assert.True(double.IsFinite(m.PolicyLoss), $"{armName}: pg loss {m.PolicyLoss}");
                Assert.True(double.IsFinite(m.LocalTerm), $"{armName}: local term {m.LocalTerm}");
                Assert.True(m.Entropy > 0 && m.Entropy < Math.Log(Tokenizer.VocabSize) + 1e-6, $"{armName}: entropy {m.Entropy}");
                Assert.True(m.GradNorm >= 0 && double.IsFinite(m.GradNorm), $"{armName}: grad norm {m.GradNorm}");
                Assert.InRange(m.ClipFractionLow, 0, 1);
                Assert.InRange(m.ClipFractionHigh, 0, 1);
                Assert.NotNull(m.SemanticSimilarity);
                Assert.True(m.Seconds.Total >= m.Seconds.Generation + m.Seconds.Update);
                Assert.True(m.TokensPerSecond > 0);
            }
            // warm-up of 2 updates: the first update runs at lr/2, every later one at lr
            Assert.Equal(1e-3, sink.Steps[^1].LearningRate, 12);
        }
    }

    [Fact]
    public void Dapo_dynamic_sampling_keeps_only_mixed_groups_and_generates_more()
    {
        using var policy = Policy();
        var sink = new MemoryTrainingSink();
        var config = Config(ArmPresets.Dapo, steps: 2) with { GroupSize = 2, MaxGenerationRounds = 3 };
        using var trainer = Trainer(policy, new TrainerOptions(config, Sinks: [sink]), new ScriptedTask(Parity));
        trainer.Run();

        var kept = sink.Groups.Where(g => !g.Dropped).ToList();
        var dropped = sink.Groups.Where(g => g.Dropped).ToList();
        Assert.NotEmpty(kept);
        Assert.NotEmpty(dropped);
        Assert.All(kept, g => Assert.True(g.Rewards.Distinct().Count() == 2, "a kept group must mix correct and incorrect"));
        Assert.All(dropped, g => Assert.True(g.Rewards.Distinct().Count() == 1 || kept.Count(k => k.Step == g.Step) == 4));
        Assert.All(sink.Steps, m => Assert.True(m.Groups <= 4));
        Assert.Contains(sink.Steps, m => m.GenerationRounds > 1);
        Assert.Equal(trainer.DataCursor, sink.Steps.Sum(m => m.GenerationRounds) * 4L);
    }

    [Fact]
    public void Dsdr_gives_an_all_correct_group_non_zero_advantages_and_grpo_does_not()
    {
        var everythingCorrect = new ScriptedTask(_ => true);
        foreach (var (armName, expectSignal) in new[] { (ArmPresets.Dsdr, true), (ArmPresets.Grpo, false) })
        {
            using var policy = Policy();
            var sink = new MemoryTrainingSink();
            using var trainer = Trainer(policy, new TrainerOptions(Config(armName, steps: 1), Sinks: [sink]), everythingCorrect);
            trainer.Run();

            var diverse = sink.Groups.Where(g => g.Texts.Distinct().Count() > 1).ToList();
            Assert.NotEmpty(diverse);
            foreach (var g in diverse)
            {
                Assert.All(g.Rewards, r => Assert.Equal(1.0, r));
                var largest = g.Advantages.Max(Math.Abs);
                if (expectSignal) Assert.True(largest > 0.5, $"dsdr: all-correct advantages {string.Join(", ", g.Advantages)}");
                else Assert.Equal(0.0, largest);
                Assert.Equal(1.0, g.Weights.Sum(), 9);
            }
            Assert.Equal(1.0, sink.Steps[0].ZeroStdGroupFraction);
        }
    }

    [Fact]
    public void Cancellation_stops_between_steps_and_leaves_a_checkpoint()
    {
        using var policy = Policy();
        using var cancel = new CancellationTokenSource();
        var folder = TempFolder();
        var sink = new MemoryTrainingSink();
        var stopper = new CallbackSink(m => { if (m.Step == 2) cancel.Cancel(); });
        using var trainer = Trainer(policy, new TrainerOptions(Config(ArmPresets.Grpo, steps: 10), CheckpointFolder: folder, Sinks: [sink, stopper]));
        var summary = trainer.Run(cancel.Token);

        Assert.True(summary.Cancelled);
        Assert.Equal(2, summary.Steps);
        Assert.Equal(2, sink.Steps.Count);
        Assert.EndsWith(CheckpointStore.FolderName(2), summary.LastCheckpoint);
        Assert.Equal(2, CheckpointStore.ReadState(summary.LastCheckpoint!).Step);
    }

    [Fact]
    public void A_run_resumed_from_a_checkpoint_reproduces_the_uninterrupted_run()
    {
        LibTorchProcess.UseThreads(1);   // the process's count (set once): both runs use the same
        var config = Config(ArmPresets.Dsdr, steps: 4);
        var parity = new ScriptedTask(Parity);

        using var straightPolicy = Policy();
        var straight = new MemoryTrainingSink();
        using (var trainer = Trainer(straightPolicy, new TrainerOptions(config, Sinks: [straight]), parity))
            trainer.Run();

        var folder = TempFolder();
        var first = new MemoryTrainingSink();
        using (var policy = Policy())
        using (var trainer = Trainer(policy, new TrainerOptions(config, CheckpointFolder: folder, Sinks: [first]), parity))
            Assert.Equal(2, trainer.Run(stopAfterStep: 2).Steps);

        var second = new MemoryTrainingSink();
        using var resumedPolicy = Policy(seed: 99);     // different weights: the checkpoint must overwrite them
        using (var trainer = Trainer(resumedPolicy, new TrainerOptions(config, CheckpointFolder: folder, Sinks: [second]), parity))
        {
            Assert.True(trainer.TryResume());
            Assert.Equal(2, trainer.Step);
            trainer.Run();
        }

        var resumed = first.Steps.Concat(second.Steps).Select(WithoutTimes).ToList();
        Assert.Equal(straight.Steps.Select(WithoutTimes), resumed);
        Assert.Equal(straight.Groups.Select(Describe), first.Groups.Concat(second.Groups).Select(Describe));
        var a = straightPolicy.named_parameters().ToList();
        var b = resumedPolicy.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in a) Assert.True(p.equal(b[name]).all().item<bool>(), $"{name} differs after resume");
    }

    [Fact]
    public void Resume_refuses_a_checkpoint_of_another_config_and_keeps_only_the_newest()
    {
        var folder = TempFolder();
        using (var policy = Policy())
        using (var trainer = Trainer(policy, new TrainerOptions(Config(ArmPresets.Grpo, steps: 3), CheckpointFolder: folder, CheckpointEverySteps: 1, KeepCheckpoints: 2)))
            trainer.Run();
        Assert.Equal([2, 3], CheckpointStore.Complete(folder).Select(c => c.Step));
        Assert.Empty(Directory.GetDirectories(folder, ".*"));

        using var other = Policy();
        using var different = Trainer(other, new TrainerOptions(Config(ArmPresets.Dsdr, steps: 3), CheckpointFolder: folder));
        var error = Assert.Throws<InvalidOperationException>(() => different.TryResume());
        Assert.Contains("different config", error.Message);
    }

    [Fact]
    public void A_kl_penalty_keeps_a_frozen_reference_that_checkpoints_carry()
    {
        using var policy = Policy();
        var folder = TempFolder();
        var sink = new MemoryTrainingSink();
        var config = Config(ArmPresets.Dsdr, steps: 2) with { KlBeta = 0.1, KlEstimator = KlEstimator.K3 };
        var start = policy.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        using (var trainer = Trainer(policy, new TrainerOptions(config, CheckpointFolder: folder, Sinks: [sink]), new ScriptedTask(Parity)))
            trainer.Run();
        Assert.All(sink.Steps.Where(m => m.Updates > 0), m => Assert.True(m.Kl is >= 0 && double.IsFinite(m.Kl.Value), $"KL {m.Kl}"));
        Assert.Contains(sink.Steps, m => m.Kl > 0);
        // the reference is the starting policy, frozen: the checkpoint's copy equals it, the trained policy does not
        using (var reference = Checkpoint.Load(Path.Combine(CheckpointStore.Latest(folder)!, CheckpointStore.ReferenceFolder)))
            foreach (var (name, p) in reference.named_parameters())
                Assert.True(p.equal(start[name]).all().item<bool>(), $"reference {name} moved");
        Assert.Contains(policy.named_parameters(), p => !p.parameter.equal(start[p.name]).all().item<bool>());

        using var other = Policy(seed: 8);
        using var resumed = Trainer(other, new TrainerOptions(config with { TotalSteps = 3 }, CheckpointFolder: folder), new ScriptedTask(Parity));
        Assert.True(resumed.TryResume());
        Assert.Equal(3, resumed.Run().Steps);
    }

    [Fact]
    public void Evaluation_runs_at_start_every_n_steps_and_at_the_end()
    {
        using var policy = Policy();
        var sink = new MemoryTrainingSink();
        var steps = new List<int>();
        EvalReport Evaluate(Model.Qwen2ForCausalLM p, int step, CancellationToken ct)
        {
            steps.Add(step);
            return new EvalReport(step, [new EvalFigure("countdown", "avg", 16, 0.25)], 0.0);
        }
        using var trainer = Trainer(policy, new TrainerOptions(Config(ArmPresets.Grpo, steps: 3), Evaluate: Evaluate, EvalEverySteps: 2, EvalAtStart: true, Sinks: [sink]));
        var summary = trainer.Run();
        Assert.Equal([0, 2, 3], steps);
        Assert.Equal([0, 2, 3], sink.Evals.Select(e => e.Step));
        Assert.Equal(3, summary.FinalEval!.Step);
    }

    // One mini-batch per step: its update is on-policy, so ρ = 1 exactly up to float error — no clipping and no KL to π_old,
    // whatever the sampling temperature (before the fix the T = 1 training log-probs made ρ ≠ 1 whenever T ≠ 1).
    [Theory]
    [InlineData(0.6)]
    [InlineData(1.4)]
    public void The_first_update_of_a_step_is_on_policy_at_any_temperature(double temperature)
    {
        using var policy = Policy();
        var sink = new MemoryTrainingSink();
        var config = Config(ArmPresets.Dsdr, steps: 2) with { Temperature = temperature, MiniBatchesPerStep = 1 };
        using var trainer = Trainer(policy, new TrainerOptions(config, Sinks: [sink]), new ScriptedTask(Parity));
        trainer.Run();
        Assert.All(sink.Steps.Where(m => m.Updates > 0), m =>
        {
            // float32 noise of two forwards is ~1e-6; the T = 1 bias this guards against gave 0.09–0.14
            Assert.True(Math.Abs(m.ApproxKlToOld) < 1e-5, $"KL(π_old‖π_θ) ≈ {m.ApproxKlToOld} on-policy at T = {temperature}");
            Assert.Equal(0.0, m.ClipFractionLow);
            Assert.Equal(0.0, m.ClipFractionHigh);
        });
    }

    [Theory]
    [InlineData(ArmPresets.Grpo, false)]
    [InlineData(ArmPresets.Dapo, false)]
    [InlineData(ArmPresets.DsdrNoGd, false)]
    [InlineData(ArmPresets.Dsdr, true)]
    [InlineData(ArmPresets.DsdrNoGc, true)]
    [InlineData(ArmPresets.DsdrUniform, true)]
    public void Groups_are_embedded_where_d_changes_the_update_and_on_the_steps_that_log_the_similarity(string armName, bool usesDiversity)
    {
        using var policy = Policy();
        var sink = new MemoryTrainingSink();
        var embedder = new CountingEmbedder();
        var config = Config(armName, steps: 4);
        Assert.Equal(usesDiversity, ArmBehaviour.From(config).UsesDiversity);
        using var trainer = new Trainer(policy, Tokenizer, new ScriptedTask(Parity), Problems(), embedder,
            new TrainerOptions(config, Sinks: [sink, new CallbackSink(_ => embedder.StepDone())], SemanticSimilarityEverySteps: 2));
        trainer.Run();

        Assert.Equal([2, 4], sink.Steps.Where(m => m.SemanticSimilarity is not null).Select(m => m.Step));
        foreach (var g in sink.Groups.Where(g => !g.Dropped))
        {
            var embedded = g.Step % 2 == 0 || (usesDiversity && g.Rewards.Contains(1.0));
            Assert.Equal(embedded ? g.Texts.Count : 0, g.Diversity.Count);
        }
        Assert.Contains(2, embedder.Steps);
        Assert.Contains(4, embedder.Steps);
        if (!usesDiversity) Assert.DoesNotContain(1, embedder.Steps);
    }

    // Leaving out the embeddings where d cannot act changes no bit of the update.
    [Fact]
    public void Embedding_fewer_groups_gives_the_same_training_bits()
    {
        List<StepMetrics> Run(int every)
        {
            using var policy = Policy();
            var sink = new MemoryTrainingSink();
            using var trainer = Trainer(policy, new TrainerOptions(Config(ArmPresets.Dsdr, steps: 3), Sinks: [sink], SemanticSimilarityEverySteps: every), new ScriptedTask(Parity));
            trainer.Run();
            return [.. sink.Steps.Select(m => WithoutTimes(m) with { SemanticSimilarity = null })];
        }
        Assert.Equal(Run(1), Run(3));
    }

    /// <summary>The bigram encoder, noting after which completed step each call came.</summary>
    private sealed class CountingEmbedder : Core.Method.IEmbedder
    {
        private readonly BigramEmbedder inner = new();
        private readonly List<int> calls = [];
        public int Dimension => inner.Dimension;

        public IReadOnlyList<float[]> Embed(IReadOnlyList<string> texts)
        {
            calls.Add(completedSteps);
            return inner.Embed(texts);
        }

        private int completedSteps;

        // a call made while k steps are done belongs to step k + 1
        public int[] Steps => [.. calls.Select(c => c + 1)];

        public void StepDone() => completedSteps++;
    }

    private static StepMetrics WithoutTimes(StepMetrics m) => m with { TokensPerSecond = 0, Seconds = new StepTimings(0, 0, 0, 0, 0, 0) };

    private static string Describe(GroupRecord g) =>
        $"{g.Step} {g.ProblemId} {string.Join("|", g.Texts)} {string.Join(",", g.Rewards)} {string.Join(",", g.Advantages.Select(a => a.ToString("R")))} {string.Join(",", g.Weights.Select(a => a.ToString("R")))}";

    private sealed class CallbackSink(Action<StepMetrics> onStep) : ITrainingSink
    {
        public void OnStep(StepMetrics metrics) => onStep(metrics);
        public void OnGroup(GroupRecord group) { }
        public void OnEval(EvalReport report) { }
        public void OnCheckpoint(CheckpointRecord checkpoint) { }
    }
}
