using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;
using AdamW = Dsdr.Learning.Training.AdamW;

namespace Dsdr.Learning.Tests.Training;

/// <summary>
/// Dsdr's AdamW against TorchSharp's (same libtorch: bit for bit) and against torch.optim.AdamW of Debian's PyTorch
/// (bench/pytorch/adamw_crosscheck.py), over steps with a changing learning rate, weight decay and a parameter that
/// has no gradient in one step; and its saved state continuing exactly.
/// </summary>
public class AdamWTests(ITestOutputHelper output)
{
    private const double WeightDecay = 0.01;
    private static readonly long[][] Shapes = [[3, 4], [5], [2, 2, 2]];
    private const int StepCount = 8;
    private const int Skipped = 2;   // parameter 2 has no gradient at step 3

    // lr_t = 0.01 · min(1, (t + 1) / 3): a warm-up, as the trainer's
    private static double LearningRate(int step) => 0.01 * Math.Min(1.0, (step + 1) / 3.0);

    private sealed record Case(float[][] Start, float[]?[][] Grads);

    private static Case MakeCase()
    {
        var random = new Random(19);
        float[] Draw(long[] shape, double scale) =>
            Enumerable.Range(0, (int)shape.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
        var start = Shapes.Select(s => Draw(s, 1.0)).ToArray();
        var grads = Enumerable.Range(0, StepCount).Select(step =>
            Shapes.Select((s, i) => step == 3 && i == Skipped ? null : Draw(s, 0.5)).ToArray()).ToArray();
        return new Case(start, grads);
    }

    private static Parameter[] ParametersOf(Case c) =>
        c.Start.Select((values, i) => new Parameter(tensor(values, Shapes[i]))).ToArray();

    private static void SetGrads(Parameter[] parameters, float[]?[] grads)
    {
        for (var i = 0; i < parameters.Length; i++)
            parameters[i].grad = grads[i] is { } g ? tensor(g, Shapes[i]) : null;
    }

    private static float[] Flat(Tensor t) => t.detach().contiguous().data<float>().ToArray();

    [Fact]
    public void Updates_equal_TorchSharps_AdamW_bit_for_bit()
    {
        var c = MakeCase();
        var ours = ParametersOf(c);
        var theirs = ParametersOf(c);
        using var optimizer = new AdamW(ours, LearningRate(0), weightDecay: WeightDecay);
        using var reference = optim.AdamW(theirs, LearningRate(0), weight_decay: WeightDecay);
        for (var step = 0; step < StepCount; step++)
        {
            SetGrads(ours, c.Grads[step]);
            SetGrads(theirs, c.Grads[step]);
            optimizer.LearningRate = LearningRate(step);
            foreach (var group in reference.ParamGroups) group.LearningRate = LearningRate(step);
            optimizer.Step();
            reference.step();
        }
        for (var i = 0; i < ours.Length; i++)
            Assert.Equal(Flat(theirs[i]), Flat(ours[i]));
        Assert.Equal([StepCount, StepCount, StepCount - 1], optimizer.Steps);
    }

    [Fact]
    public void Updates_match_torch_optim_AdamW()
    {
        Assert.True(PyTorchReference.Available(), PyTorchReference.Missing);
        var c = MakeCase();
        var parameters = ParametersOf(c);
        using var optimizer = new AdamW(parameters, LearningRate(0), weightDecay: WeightDecay);
        for (var step = 0; step < StepCount; step++)
        {
            SetGrads(parameters, c.Grads[step]);
            optimizer.LearningRate = LearningRate(step);
            optimizer.Step();
        }

        var file = Path.Combine(TestModels.TempFolder(), "adamw_case.json");
        File.WriteAllText(file, new JsonObject
        {
            ["lr"] = new JsonArray(Enumerable.Range(0, StepCount).Select(s => (JsonNode?)LearningRate(s)).ToArray()),
            ["betas"] = new JsonArray(optimizer.Beta1, optimizer.Beta2),
            ["eps"] = optimizer.Epsilon,
            ["weight_decay"] = WeightDecay,
            ["params"] = new JsonArray(c.Start.Select((v, i) => (JsonNode?)new JsonObject
            {
                ["shape"] = JsonSerializer.SerializeToNode(Shapes[i]),
                ["values"] = JsonSerializer.SerializeToNode(v),
            }).ToArray()),
            ["grads"] = JsonSerializer.SerializeToNode(c.Grads),
        }.ToJsonString());
        var script = Path.Combine(PyTorchReference.BenchFolder(), "adamw_crosscheck.py");
        var (exitCode, stdout, stderr) = PyTorchReference.Run(PyTorchReference.Python, $"\"{script}\" \"{file}\"");
        Assert.True(exitCode == 0, $"adamw_crosscheck.py failed ({exitCode}): {stderr}");
        using var torchResult = JsonDocument.Parse(stdout);
        var root = torchResult.RootElement;

        double worst = 0;
        for (var i = 0; i < parameters.Length; i++)
        {
            var (first, second) = optimizer.MomentsOf(i);
            foreach (var (name, mine) in new[] { ("params", Flat(parameters[i])), ("exp_avg", Flat(first)), ("exp_avg_sq", Flat(second)) })
            {
                var expected = root.GetProperty(name)[i].EnumerateArray().Select(e => e.GetDouble()).ToArray();
                Assert.Equal(expected.Length, mine.Length);
                for (var j = 0; j < mine.Length; j++)
                {
                    var difference = Math.Abs(expected[j] - mine[j]);
                    worst = Math.Max(worst, difference);
                    Assert.True(difference <= 1e-6 * Math.Max(1, Math.Abs(expected[j])), $"{name}[{i}][{j}]: {mine[j]:R} vs PyTorch {expected[j]:R}");
                }
            }
        }
        output.WriteLine($"PyTorch {root.GetProperty("torch_version").GetString()}: largest difference {worst:E2} over {StepCount} steps");
    }

    [Fact]
    public void A_saved_state_continues_exactly_and_a_mismatched_one_is_refused()
    {
        var c = MakeCase();
        var straight = ParametersOf(c);
        var resumed = ParametersOf(c);
        var file = Path.Combine(TestModels.TempFolder(), "optimizer.safetensors");
        using var straightOptimizer = new AdamW(straight, LearningRate(0), weightDecay: WeightDecay);
        for (var step = 0; step < StepCount; step++)
        {
            if (step == 4)
            {
                straightOptimizer.Save(file);
                using (no_grad())
                    for (var i = 0; i < straight.Length; i++) resumed[i].copy_(straight[i]);
            }
            SetGrads(straight, c.Grads[step]);
            straightOptimizer.LearningRate = LearningRate(step);
            straightOptimizer.Step();
        }

        using var resumedOptimizer = new AdamW(resumed, LearningRate(4), weightDecay: WeightDecay);
        resumedOptimizer.Load(file);
        Assert.Equal([4, 4, 3], resumedOptimizer.Steps);
        for (var step = 4; step < StepCount; step++)
        {
            SetGrads(resumed, c.Grads[step]);
            resumedOptimizer.LearningRate = LearningRate(step);
            resumedOptimizer.Step();
        }
        for (var i = 0; i < straight.Length; i++)
        {
            Assert.Equal(Flat(straight[i]), Flat(resumed[i]));
            Assert.Equal(Flat(straightOptimizer.MomentsOf(i).First), Flat(resumedOptimizer.MomentsOf(i).First));
            Assert.Equal(Flat(straightOptimizer.MomentsOf(i).Second), Flat(resumedOptimizer.MomentsOf(i).Second));
        }

        using var fewer = new AdamW(ParametersOf(c).Take(2), 0.01);
        Assert.Contains("holds the state of 3 parameters; this model has 2", Assert.Throws<InvalidDataException>(() => fewer.Load(file)).Message);
    }
}
