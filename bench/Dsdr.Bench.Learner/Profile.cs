using System.Diagnostics;
using Dsdr.Learning.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Bench.Learner;

/// <summary>`--profile`: wall and CPU time of one decoding step and of its parts, to see where sampling time goes.</summary>
internal static class Profile
{
    public static void Run()
    {
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

    private static void Time(string name, Action action, int repetitions)
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
