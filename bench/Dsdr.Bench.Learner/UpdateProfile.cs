using System.Diagnostics;
using Dsdr.Learning.Compute;
using Dsdr.Learning.Model;
using Dsdr.Learning.Sampling;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Dsdr.Bench.Learner;

/// <summary>
/// `--profile-update`: wall and CPU time of the RL update's forward + backward on the step bench's shape (countdown-wide,
/// one mini-batch of 64 left-padded rows of 16 prompt + 12 response tokens) and of its parts in isolation, to see where
/// the update's time goes against PyTorch's (bench/pytorch/qwen2_reference.py rl-update on the same shape).
/// </summary>
internal static class UpdateProfile
{
    public static void Run()
    {
        const int rows = 64, prompt = 16, response = 12, vocab = 21;
        var config = Qwen2Config.Preset("countdown-wide", vocab);
        random.manual_seed(1);
        using var model = new Qwen2ForCausalLM(config);
        model.train();
        var generator = new Random(3);
        IReadOnlyList<IReadOnlyList<int>> prompts = Enumerable.Range(0, rows / 8)
            .Select(_ => (IReadOnlyList<int>)Enumerable.Range(0, generator.Next(prompt - 4, prompt + 1)).Select(_ => generator.Next(2, vocab)).ToList()).ToList();
        var completions = Enumerable.Range(0, rows).Select(r =>
        {
            var length = generator.Next(3, response + 1);
            return new Completion(r / 8, Enumerable.Range(0, length).Select(_ => generator.Next(2, vocab)).ToArray(), new float[length], new float[length], FinishReason.Eos);
        }).ToList();
        using var batch = RolloutBatch.Create(prompts, completions, 1.0);
        Console.WriteLine($"batch {batch.InputIds.shape[0]} × {batch.InputIds.shape[1]} (prompt {batch.PromptWidth} + response {batch.ResponseWidth})");

        Time("forward (masked, as the trainer)", () => batch.ResponseLogits(model), 20);
        Time("forward + backward (masked)", () => batch.TokenLogProbs(batch.ResponseLogits(model)).mul(batch.ResponseMask).sum().backward(), 20);
        Time("forward + backward (no mask, causal)", () => model.Forward(batch.InputIds).log_softmax(-1).sum().backward(), 20);
        using (no_grad()) Time("forward no_grad (masked)", () => batch.ResponseLogits(model), 20);

        long b = rows, h = config.NumAttentionHeads, t = batch.InputIds.shape[1], d = config.HeadDim;
        var keyMask = batch.AttentionMask.to(ScalarType.Bool);
        var cpu = CPU;
        var causal = Scalars.Arange(0, t, cpu).unsqueeze(0).le(Scalars.Arange(0, t, cpu).unsqueeze(1));
        var self = eye(t, dtype: ScalarType.Bool);
        var mask = causal.logical_and(keyMask.unsqueeze(1).unsqueeze(1).logical_or(self));   // [B, 1, T, T]
        var additive = zeros(mask.shape).masked_fill(mask.logical_not(), Scalars.NegativeInfinity);
        Tensor Q() => randn(b, h, t, d, requires_grad: true);
        var (q, k, v) = (Q(), Q(), Q());
        using var scale = (1.0 / Math.Sqrt(d)).ToScalar();
        const int layers = 4;
        Time("  SDPA bool mask fwd+bwd ×4", () => { for (var i = 0; i < layers; i++) F.scaled_dot_product_attention(q, k, v, mask).sum().backward(); }, 20);
        Time("  SDPA float mask fwd+bwd ×4", () => { for (var i = 0; i < layers; i++) F.scaled_dot_product_attention(q, k, v, additive).sum().backward(); }, 20);
        Time("  SDPA causal fwd+bwd ×4", () => { for (var i = 0; i < layers; i++) F.scaled_dot_product_attention(q, k, v, is_casual: true).sum().backward(); }, 20);
        Time("  matmul-softmax-matmul fwd+bwd ×4", () => { for (var i = 0; i < layers; i++) q.matmul(k.transpose(2, 3)).mul(scale).add(additive, Scalars.One).softmax(-1).matmul(v).sum().backward(); }, 20);

        var x = randn(b, t, config.HiddenSize, requires_grad: true);
        var w1 = randn(config.IntermediateSize, config.HiddenSize, requires_grad: true);
        var w2 = randn(config.IntermediateSize, config.HiddenSize, requires_grad: true);
        var w3 = randn(config.HiddenSize, config.IntermediateSize, requires_grad: true);
        var wq = randn(config.HiddenSize, config.HiddenSize, requires_grad: true);
        var bq = randn(config.HiddenSize, requires_grad: true);
        Time("  MLP fwd+bwd ×4", () => { for (var i = 0; i < layers; i++) F.linear(F.silu(F.linear(x, w1)).mul(F.linear(x, w2)), w3).sum().backward(); }, 20);
        Time("  4 projections (q,k,v biased, o) fwd+bwd ×4", () => { for (var i = 0; i < layers; i++) { F.linear(x, wq, bq).sum().backward(); F.linear(x, wq, bq).sum().backward(); F.linear(x, wq, bq).sum().backward(); F.linear(x, wq).sum().backward(); } }, 20);
        var nw = ones(config.HiddenSize, requires_grad: true);
        using var eps = 1e-6.ToScalar();
        Time("  RMSNorm fwd+bwd ×9", () => { for (var i = 0; i < 2 * layers + 1; i++) (nw * (x * x.mul(x).mean([-1], keepdim: true).add(eps, Scalars.One).rsqrt())).sum().backward(); }, 20);
        var cos = randn(b, 1, t, d);
        var sin = randn(b, 1, t, d);
        Time("  rotary (q and k) fwd+bwd ×4", () => { for (var i = 0; i < 2 * layers; i++) q.mul(cos).addcmul(q.roll(d / 2, -1), sin, Scalars.One).sum().backward(); }, 20);
        Time("  view/transpose/reshape heads fwd+bwd ×4", () => { for (var i = 0; i < 4 * layers; i++) x.view(b, t, h, d).transpose(1, 2).transpose(1, 2).reshape(b, t, h * d).mul(scale).sum().backward(); }, 20);
    }

    private static void Time(string name, Action action, int repetitions) => Profile.Time(name, action, repetitions);
}
