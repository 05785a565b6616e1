using Dsdr.Core.Method;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Evaluation;
using Dsdr.Learning.Model;
using Dsdr.Learning.Training;
using TorchSharp;
using static Dsdr.Learning.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests.Training;

/// <summary>precision: bf16 — a bf16 working copy runs the passes, fp32 masters and fp32 AdamW state take the updates.</summary>
// Runs alone: the trainer's rollouts draw on libtorch's global generator, which parallel test classes also advance.
[Collection(LearnerStressCollection.Name)]
public class Bf16Tests
{
    private static bool Parity(string text) => text.Sum(c => c) % 2 == 0;

    private static TrainingConfig Bf16Config(int steps = 2) => Config(ArmPresets.Dsdr, steps) with { Precision = Precision.Bf16 };

    // A fixed next-token batch: mean NLL of ids[:, 1:] under the logits of ids[:, :-1], computed in float32.
    private static Tensor NextTokenLoss(Qwen2ForCausalLM model, Tensor ids)
    {
        var logits = model.Forward(ids).narrow(1, 0, ids.shape[1] - 1).to(ScalarType.Float32);
        var targets = ids.narrow(1, 1, ids.shape[1] - 1);
        return -logits.log_softmax(-1).gather(-1, targets.unsqueeze(-1)).mean();
    }

    // the model's own initialisation (N(0, 0.02²) weights, unit norms): the test fixtures' ×5 weights give peaked
    // attention whose gradients are needlessly sensitive to any rounding
    private static Qwen2ForCausalLM Initialised() => new(PolicyConfig, initSeed: 3);

    private static Tensor FixedBatch()
    {
        var generator = new Generator(23);
        return randint(0, Tokenizer.VocabSize, [4, 24], generator: generator, dtype: ScalarType.Int64);
    }

    [Fact]
    public void A_few_bf16_steps_track_the_fp32_losses_and_the_working_copy_is_the_rounded_masters()
    {
        const int steps = 8;
        using var ids = FixedBatch();

        var fp32Losses = new double[steps];
        float[] fp32Gradients = [], bf16Gradients = [];
        static float[] Flat(Qwen2ForCausalLM model) => [.. model.parameters().SelectMany(p => p.grad!.data<float>().ToArray())];
        using var fp32 = Initialised();
        using (var optimizer = new AdamW(fp32.parameters(), 1e-2))
            for (var s = 0; s < steps; s++)
            {
                using var scope = NewDisposeScope();
                optimizer.ZeroGrad();
                var loss = NextTokenLoss(fp32, ids);
                fp32Losses[s] = loss.item<float>();
                loss.backward();
                if (s == 0) fp32Gradients = Flat(fp32);
                nn.utils.clip_grad_norm_(fp32.parameters(), 1.0);
                optimizer.Step();
            }

        var bf16Losses = new double[steps];
        using var master = Initialised();
        using var copy = Bf16WorkingCopy.Of(master);
        Assert.All(master.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.All(copy.Working.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        using (var optimizer = new AdamW(master.parameters(), 1e-2))
        {
            for (var s = 0; s < steps; s++)
            {
                using var scope = NewDisposeScope();
                optimizer.ZeroGrad();
                copy.ZeroGrad();
                var loss = NextTokenLoss(copy.Working, ids);
                bf16Losses[s] = loss.item<float>();
                loss.backward();
                copy.GradientsToMasters();
                Assert.All(master.parameters(), p => Assert.Equal(ScalarType.Float32, p.grad!.dtype));
                if (s == 0) bf16Gradients = Flat(master);
                nn.utils.clip_grad_norm_(master.parameters(), 1.0);
                optimizer.Step();
                copy.Refresh();
            }
            // the optimiser's state is float32 like the masters it steps
            for (var i = 0; i < master.parameters().Count(); i++)
            {
                var (m, v) = optimizer.MomentsOf(i);
                Assert.Equal((ScalarType.Float32, ScalarType.Float32), (m.dtype, v.dtype));
            }
        }

        // the first gradient, from the same weights, is fp32's to bf16's precision: cos > 0.9999, norms within 1 %
        var dot = fp32Gradients.Zip(bf16Gradients, (a, b) => (double)a * b).Sum();
        var (n32, n16) = (Math.Sqrt(fp32Gradients.Sum(a => (double)a * a)), Math.Sqrt(bf16Gradients.Sum(b => (double)b * b)));
        Assert.True(dot / (n32 * n16) > 0.9999, $"cos(g_fp32, g_bf16) = {dot / (n32 * n16)}");
        Assert.True(Math.Abs(n16 - n32) < 0.01 * n32, $"|g| bf16 {n16} vs fp32 {n32}");
        // training moves: the loss falls in both
        Assert.True(fp32Losses[^1] < fp32Losses[0] - 0.05, $"fp32 loss {fp32Losses[0]} → {fp32Losses[^1]}");
        Assert.True(bf16Losses[^1] < bf16Losses[0] - 0.05, $"bf16 loss {bf16Losses[0]} → {bf16Losses[^1]}");
        // bf16 keeps 8 significant bits (relative rounding 2⁻⁹ ≈ 0.2 % per weight and activation). From the same weights the
        // losses agree to ~1e-6 (rounding errors average out over 92 tokens); then AdamW, whose first steps are near
        // sign(g)·lr, turns gradient rounding into weight differences that grow with each step: 0.3 % of the loss after 8
        // steps at lr 1e-2 here. 1 % bounds that with margin, and is far below the 35 % the loss falls by.
        for (var s = 0; s < steps; s++)
            Assert.True(Math.Abs(bf16Losses[s] - fp32Losses[s]) <= 0.01 * fp32Losses[s],
                $"step {s}: bf16 loss {bf16Losses[s]} vs fp32 {fp32Losses[s]}");
        // and it really ran in bf16: the losses are not float32's bits
        Assert.Contains(Enumerable.Range(0, steps), s => bf16Losses[s] != fp32Losses[s]);

        // the working copy is exactly the masters rounded to bf16; the masters hold what bf16 cannot
        var working = copy.Working.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in master.named_parameters())
            Assert.True(p.to(ScalarType.BFloat16).equal(working[name]).all().item<bool>(), $"{name}: working copy is not bf16(master)");
        Assert.Contains(master.named_parameters(), p => !p.parameter.equal(working[p.name].to(ScalarType.Float32)).all().item<bool>());
    }

    [Fact]
    public void A_bf16_policy_is_refused_as_master()
    {
        using var policy = Policy();
        policy.to(ScalarType.BFloat16);
        var error = Assert.Throws<ArgumentException>(() => Bf16WorkingCopy.Of(policy));
        Assert.Contains("float32 master weights", error.Message);
    }

    // π_old is recomputed by the training forward in bf16, so on-policy the ratio is exactly 1 at T ≠ 1: with one
    // mini-batch per step every update is the first of its step, so log π_old − log π_θ is 0 to the bit.
    [Fact]
    public void The_first_mini_batch_is_exactly_on_policy_in_bf16_at_a_temperature_other_than_one()
    {
        using var policy = Policy();
        var sink = new MemoryTrainingSink();
        var config = Bf16Config(steps: 2) with { MiniBatchesPerStep = 1, Temperature = 0.7 };
        var evaluated = new List<ScalarType>();
        EvalReport Evaluate(Qwen2ForCausalLM p, int step, CancellationToken ct)
        {
            evaluated.AddRange(p.parameters().Select(w => w.dtype));
            return new EvalReport(step, [new EvalFigure("countdown", "avg", 1, 0)], 0.0);
        }
        using (var trainer = Trainer(policy, new TrainerOptions(config, Sinks: [sink], Evaluate: Evaluate), new ScriptedTask(Parity)))
            trainer.Run();
        Assert.Equal(2, sink.Steps.Count);
        Assert.All(sink.Steps, s =>
        {
            Assert.Equal(1, s.Updates);
            Assert.Equal(0.0, s.ApproxKlToOld);
            Assert.Equal(0.0, s.ClipFractionLow);
            Assert.Equal(0.0, s.ClipFractionHigh);
            Assert.True(double.IsFinite(s.PolicyLoss) && s.GradNorm > 0, $"step {s.Step}: loss {s.PolicyLoss}, grad norm {s.GradNorm}");
        });
        // evaluation sees the bf16 working copy; the model given keeps the float32 masters
        Assert.NotEmpty(evaluated);
        Assert.All(evaluated, dtype => Assert.Equal(ScalarType.BFloat16, dtype));
        Assert.All(policy.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }

    [Fact]
    public void A_bf16_checkpoint_holds_the_fp32_masters_and_resumes_bit_identically()
    {
        var config = Bf16Config(steps: 3);
        var parity = new ScriptedTask(Parity);

        using var straightPolicy = Policy();
        var straight = new MemoryTrainingSink();
        using (var trainer = Trainer(straightPolicy, new TrainerOptions(config, Sinks: [straight]), parity))
            trainer.Run();

        var folder = TempFolder();
        var first = new MemoryTrainingSink();
        using (var policy = Policy())
        using (var trainer = Trainer(policy, new TrainerOptions(config, CheckpointFolder: folder, Sinks: [first]), parity))
        {
            Assert.Equal(2, trainer.Run(stopAfterStep: 2).Steps);
            // the saved weights are the float32 masters, bit for bit, and the AdamW moments are float32
            var checkpoint = CheckpointStore.Latest(folder)!;
            using var saved = Checkpoint.Load(Path.Combine(checkpoint, CheckpointStore.ModelFolder), new CheckpointLoadOptions(DType: null));
            var masters = policy.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, p) in saved.named_parameters())
            {
                Assert.Equal(ScalarType.Float32, p.dtype);
                Assert.True(p.equal(masters[name]).all().item<bool>(), $"saved {name} is not the master");
            }
            using var optimizerState = new SafeTensors.SafeTensorsReader(Path.Combine(checkpoint, CheckpointStore.OptimizerFile));
            Assert.All(optimizerState.Entries, e => Assert.Equal("F32", e.DType));
        }

        var second = new MemoryTrainingSink();
        using var resumedPolicy = Policy(seed: 99);
        using (var trainer = Trainer(resumedPolicy, new TrainerOptions(config, CheckpointFolder: folder, Sinks: [second]), parity))
        {
            Assert.True(trainer.TryResume());
            trainer.Run();
        }

        static StepMetrics WithoutTimes(StepMetrics m) => m with { TokensPerSecond = 0, Seconds = new StepTimings(0, 0, 0, 0, 0, 0) };
        Assert.Equal(straight.Steps.Select(WithoutTimes), first.Steps.Concat(second.Steps).Select(WithoutTimes));
        Assert.Equal(straight.Groups.Select(g => string.Join("|", g.Texts)), first.Groups.Concat(second.Groups).Select(g => string.Join("|", g.Texts)));
        var resumed = resumedPolicy.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in straightPolicy.named_parameters())
            Assert.True(p.equal(resumed[name]).all().item<bool>(), $"{name} differs after resume");
    }

    [Fact]
    public void A_bf16_checkpoint_does_not_resume_an_fp32_run()
    {
        var folder = TempFolder();
        using (var policy = Policy())
        using (var trainer = Trainer(policy, new TrainerOptions(Bf16Config(steps: 1), CheckpointFolder: folder)))
            trainer.Run();
        using var other = Policy();
        using var fp32 = Trainer(other, new TrainerOptions(Bf16Config(steps: 1) with { Precision = Precision.Fp32 }, CheckpointFolder: folder));
        Assert.Contains("different config", Assert.Throws<InvalidOperationException>(() => fp32.TryResume()).Message);
    }
}
