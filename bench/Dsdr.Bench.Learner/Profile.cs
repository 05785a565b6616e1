using System.Diagnostics;
using Dsdr.Learning.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Bench.Learner;

/// <summary>`--profile`: wall and CPU time of one decoding step and of its parts, to see where sampling time goes.</summary>
internal static class Profile
{
    public static void Run(bool countdownOnly)
    {
        if (countdownOnly)
        {
            random.manual_seed(1);
            using var countdown = new Qwen2ForCausalLM(Qwen2Config.Countdown(21));
            countdown.eval();
            IReadOnlyList<IReadOnlyList<int>> prompts = Enumerable.Range(0, 128).Select(i => (IReadOnlyList<int>)Enumerable.Range(0, 10 + i % 3).Select(j => 2 + (i * 7 + j * 3) % 19).ToList()).ToList();
            var sampler = new Dsdr.Learning.Sampling.Sampler(countdown, eosId: null);
            var options = new Dsdr.Learning.Sampling.SamplingOptions(MaxNewTokens: 24, Seed: 2);
            Time("Countdown rollout batch 128 × 24", () => sampler.Generate(prompts, options), 30);
            using var countdownCache = new KvCache(countdown.Config, 128, 64);
            using (var _ = NewDisposeScope()) countdown.Forward(randint(0, 21, [128, 12]), cache: countdownCache);
            Time("  one decode forward (B=128)", () => countdown.Forward(randint(2, 21, [128, 1]), cache: countdownCache, logitsToKeep: 1), 30);
            foreach (var (b, h, g, s, d) in new[] { (128, 4, 1, 30, 16), (64, 4, 2, 80, 32), (16, 2, 6, 300, 128) })
            {
                var query = randn(b, h, g, d);
                var k = randn(b, h, 400, d).narrow(2, 0, s);
                var v = randn(b, h, 400, d).narrow(2, 0, s);
                Time($"  SDPA x4 [{b},{h},{g},{d}] S={s}", () => { for (var i = 0; i < 4; i++) nn.functional.scaled_dot_product_attention(query, k, v); }, 50);
                using var scale = (1.0 / Math.Sqrt(d)).ToScalar();
                Time($"  matmul-softmax-matmul x4", () => { for (var i = 0; i < 4; i++) query.matmul(k.transpose(2, 3)).mul_(scale).softmax(-1).matmul(v); }, 50);
            }
            return;
        }
        var config = Qwen2Config.Small(64);
        random.manual_seed(0);
        using var model = new Qwen2ForCausalLM(config);
        model.eval();
        using var noGrad = no_grad();
        int batch = 64, prompt = 16;
        using var cache = new KvCache(config, batch, 400);
        using (var _ = NewDisposeScope()) model.Forward(randint(0, 64, [batch, prompt]), cache: cache);
        for (var i = 0; i < 64; i++)
            using (var _ = NewDisposeScope()) model.Forward(randint(0, 64, [batch, 1]), cache: cache, logitsToKeep: 1);
        Time("decode step, B=64, 80 cached slots", () => model.Forward(randint(0, 64, [batch, 1]), cache: cache, logitsToKeep: 1), 20);

        foreach (var layers in new[] { 1, 2 })
        {
            using var shallow = new Qwen2ForCausalLM(config with { NumHiddenLayers = layers });
            using var shallowCache = new KvCache(shallow.Config, batch, 400);
            using (var _ = NewDisposeScope()) shallow.Forward(randint(0, 64, [batch, 80]), cache: shallowCache);
            Time($"  same step with {layers} layer(s)", () => shallow.Forward(randint(0, 64, [batch, 1]), cache: shallowCache, logitsToKeep: 1), 20);
        }
        var x = randn(batch, 1, 256);
        var hidden = randn(batch, 1, 1376);
        var wide = randn(1376, 256);
        var narrow = randn(256, 1376);
        var square = randn(256, 256);
        var half = randn(128, 256);
        Time("  MLP matmuls (8 layers × 3)", () => { for (var i = 0; i < 8; i++) { nn.functional.linear(x, wide); nn.functional.linear(x, wide); nn.functional.linear(hidden, narrow); } }, 20);
        Time("  attention projections (8 layers × q,k,v,o)", () => { for (var i = 0; i < 8; i++) { nn.functional.linear(x, square); nn.functional.linear(x, half); nn.functional.linear(x, half); nn.functional.linear(x, square); } }, 20);
        var q = randn(batch, 4, 2, 32);
        var keys = randn(batch, 4, 400, 32).narrow(2, 0, 80);
        Time("  SDPA (8 layers)", () => { for (var i = 0; i < 8; i++) nn.functional.scaled_dot_product_attention(q, keys, keys); }, 20);
        Time("  100 small element-wise ops [64, 1, 256]", () => { for (var i = 0; i < 100; i++) x.mul(x); }, 20);
    }

    /// <summary>Wall and process-CPU milliseconds per repetition of <paramref name="action"/>, after one warm-up run.</summary>
    internal static void Time(string name, Action action, int repetitions)
    {
        using (var _ = NewDisposeScope()) action();
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < repetitions; i++)
            using (var _ = NewDisposeScope()) action();
        process.Refresh();
        Console.WriteLine($"{name,-48} {watch.Elapsed.TotalMilliseconds / repetitions,8:F2} ms wall {(process.TotalProcessorTime - cpu).TotalMilliseconds / repetitions,8:F2} ms CPU");
    }
}
