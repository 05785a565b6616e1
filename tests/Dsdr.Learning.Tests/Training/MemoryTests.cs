using Dsdr.Core.Method;
using Dsdr.Learning.Model;
using Dsdr.Learning.Training;
using TorchSharp;
using static Dsdr.Learning.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace Dsdr.Learning.Tests.Training;

/// <summary>Gradient checkpointing and token-budget micro-batches change memory, never the update.</summary>
// Runs alone: the trainer's rollouts draw on libtorch's global generator, which parallel test classes also advance.
[Collection(LearnerStressCollection.Name)]
public class MemoryTests
{
    private static Dictionary<string, float[]> Gradients(Qwen2ForCausalLM model, bool checkpointing)
    {
        model.GradientCheckpointing = checkpointing;
        model.train();
        foreach (var p in model.parameters()) p.grad?.zero_();
        using (var scope = NewDisposeScope())
        {
            var ids = tensor(new long[] { 0, 0, 3, 7, 1, 9, 4, 2, 5, 8, 6, 1, 3, 3, 7, 2 }, [2, 8]);
            var mask = tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, [2, 8]);
            var logits = model.Forward(ids, mask);
            var generator = new Generator(17);
            var probe = randn(logits.shape, generator: generator);
            // L = Σ z ⊙ u, u fixed random: every logit gets a distinct gradient
            logits.mul(probe).sum().backward();
        }
        return model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.data<float>().ToArray());
    }

    [Theory]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    public void Checkpointed_layers_give_the_same_gradients(string family)
    {
        using var model = family == "qwen3"
            ? Qwen2ForCausalLM.Create(Qwen3CheckpointErrorTests.Micro(), initSeed: 4)
            : TestModels.Create(TestModels.Micro());
        var plain = Gradients(model, checkpointing: false);
        var checkpointed = Gradients(model, checkpointing: true);
        Assert.Equal(plain.Keys.Order(), checkpointed.Keys.Order());
        foreach (var (name, expected) in plain)
        {
            Assert.Contains(expected, g => g != 0);
            var worst = expected.Zip(checkpointed[name], (a, b) => Math.Abs(a - b) / (Math.Abs(a) + 1e-3)).Max();
            Assert.True(worst < 1e-4, $"{name}: checkpointed gradient differs by up to {worst} (relative)");
        }
    }

    [Fact]
    public void Checkpointing_does_not_apply_to_inference_or_cached_forwards()
    {
        using var model = TestModels.Create(TestModels.Micro());
        model.GradientCheckpointing = true;
        using var ids = tensor(new long[] { 3, 7, 1, 9 }, [1, 4]);
        using var noGrad = no_grad();
        using var logits = model.Forward(ids);
        Assert.False(logits.requires_grad);
    }

    [Fact]
    public void The_planner_sorts_by_length_keeps_the_budget_and_measures_padding()
    {
        GroupShape Group(int prompt, params int[] responses) => new(responses.Select(_ => prompt).ToArray(), responses);
        var groups = new[] { Group(4, 10, 2), Group(4, 1, 1), Group(3, 5, 6), Group(20, 30, 30) };
        var plan = MicroBatches.Plan(groups, maxTokens: 40);
        // lengths (longest prompt + response): 14, 5, 9, 50 → order 1, 2, 0, 3
        // {1, 2}: 4 rows × (4 + 6) = 40 ≤ 40; adding 0: 6 × (4 + 10) = 84 > 40; {0}: 2 × 14 = 28; 3 alone: 2 × 50 = 100
        Assert.Equal([[1, 2], [0], [3]], plan.Select(b => b.Groups).ToArray());
        Assert.Equal([40L, 28L, 100L], plan.Select(b => b.PaddedTokens).ToArray());
        Assert.Equal([4 + 4 + 1 + 1 + 3 + 3 + 5 + 6L, 4 + 4 + 10 + 2L, 20 + 20 + 30 + 30L], plan.Select(b => b.RealTokens).ToArray());
        Assert.Equal(1 - (27.0 + 20 + 100) / (40 + 28 + 100), MicroBatches.PaddingFraction(plan), 12);

        var whole = Assert.Single(MicroBatches.Plan(groups, maxTokens: 0));
        Assert.Equal([0, 1, 2, 3], whole.Groups);
        Assert.Equal(8L * 50, whole.PaddedTokens);
        Assert.Throws<ArgumentOutOfRangeException>(() => MicroBatches.Plan(groups, -1));
    }

    [Theory]
    [InlineData("dsdr")]
    [InlineData("grpo")]
    [InlineData("dr-grpo")]
    [InlineData("gspo")]
    public void Micro_batches_and_checkpointing_give_the_update_of_one_batch(string arm)
    {
        (List<StepMetrics> Steps, Dictionary<string, float[]> Weights) Run(int maxTokens, bool checkpointing)
        {
            using var policy = Policy();
            var sink = new MemoryTrainingSink();
            var config = Config(arm, steps: 2) with { MaxTokensPerMicroBatch = maxTokens, GradientCheckpointing = checkpointing };
            using var trainer = Trainer(policy, new TrainerOptions(config, Sinks: [sink]), new ScriptedTask(t => t.Length % 2 == 0));
            trainer.Run();
            return (sink.Steps.ToList(), policy.named_parameters().ToDictionary(p => p.name, p => p.parameter.data<float>().ToArray()));
        }

        var one = Run(0, false);
        var split = Run(30, true);
        Assert.All(one.Steps, s => Assert.Equal(s.Updates, s.MicroBatches));
        Assert.All(split.Steps, s => Assert.True(s.MicroBatches > s.Updates, $"step {s.Step}: {s.MicroBatches} micro-batches for {s.Updates} updates"));
        foreach (var (a, b) in one.Steps.Zip(split.Steps))
        {
            // float32 sums in another order: equal to a few units in the 6th significant digit
            static void Close(double expected, double actual, string what) =>
                Assert.True(Math.Abs(expected - actual) <= 1e-5 + 1e-4 * Math.Abs(expected), $"{what}: {actual} vs {expected} in one batch");
            Close(a.PolicyLoss, b.PolicyLoss, "policy loss");
            Close(a.LocalTerm, b.LocalTerm, "local term");
            Close(a.GradNorm, b.GradNorm, "grad norm");
            Close(a.Entropy, b.Entropy, "entropy");
            Close(a.ClipFractionHigh, b.ClipFractionHigh, "clip fraction");
            Assert.InRange(b.PaddingFraction, 0, 1);
            Assert.True(b.PaddingFraction <= a.PaddingFraction + 1e-12, $"step {a.Step}: padding {b.PaddingFraction} split vs {a.PaddingFraction} whole");
        }
        foreach (var (name, w) in one.Weights)
        {
            var worst = w.Zip(split.Weights[name], (x, y) => Math.Abs(x - y)).Max();
            Assert.True(worst < 1e-5, $"{name} differs by {worst} after two steps");
        }
    }
}
