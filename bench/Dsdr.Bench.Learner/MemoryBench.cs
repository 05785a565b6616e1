using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Dsdr.Learning.Model;
using Dsdr.Learning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Bench.Learner;

/// <summary>
/// `--memory`: training forward + backward of a tiny Qwen3 on rows of mixed lengths, with and without gradient
/// checkpointing and token-budget micro-batches (rows sorted by length), against the same in PyTorch
/// (bench/pytorch/qwen3_reference.py bench). Each case runs in its own process so its peak RSS (VmHWM) is its own.
/// </summary>
internal static class MemoryBench
{
    public static readonly string[] Cases = ["plain", "checkpointing", "micro-batches", "both"];
    public const int Rows = 32, MinLength = 32, MaxLength = 256, Steps = 3, Budget = 2048;

    public static Qwen3Config Model() => new()
    {
        VocabSize = 2048, HiddenSize = 128, IntermediateSize = 384, NumHiddenLayers = 4, NumAttentionHeads = 4,
        NumKeyValueHeads = 2, HeadDimension = 48, TieWordEmbeddings = true, MaxPositionEmbeddings = 512,
    };

    /// <summary>Row lengths: evenly spread in [MinLength, MaxLength], in a fixed shuffled order.</summary>
    public static int[] Lengths() =>
        Enumerable.Range(0, Rows).Select(i => MinLength + i * (MaxLength - MinLength) / (Rows - 1)).OrderBy(i => (i * 7919) % 101).ToArray();

    /// <summary>Runs every case in a child process, C# then PyTorch; prints tokens/s, peak RSS and their ratios.</summary>
    public static void RunAll(string self, string python, string script, int threads)
    {
        Console.WriteLine($"memory bench: Qwen3 d=128, 4 layers, heads 4/2 of 48, vocab 2048; {Rows} rows of {MinLength}…{MaxLength} tokens, " +
                          $"{Steps} timed steps, micro-batch budget {Budget} tokens, {threads} threads; load: {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"{"case",-15} {"C# tok/s",10} {"C# peak MiB",12} {"PyTorch tok/s",14} {"PyTorch peak MiB",17} {"C#/PyTorch tok/s",17}");
        var baseline = (Rate: 0.0, Peak: 0.0);
        foreach (var name in Cases)
        {
            var ours = Child(self, $"--memory-case {name} --threads {threads}");
            var spec = JsonSerializer.Serialize(new { @case = name, rows = Rows, min_length = MinLength, max_length = MaxLength, steps = Steps, budget = Budget, threads });
            var theirs = Child(python, $"\"{script}\" bench \"{spec.Replace("\"", "\\\"")}\"");
            if (name == "plain") baseline = (ours.Rate, ours.Peak);
            Console.WriteLine($"{name,-15} {ours.Rate,10:F0} {ours.Peak,12:F0} {theirs.Rate,14:F0} {theirs.Peak,17:F0} {ours.Rate / theirs.Rate,16:F2}×" +
                              (name == "plain" ? "" : $"   (C# vs plain: {ours.Rate / baseline.Rate:F2}× tok/s, {ours.Peak / baseline.Peak:F2}× peak)"));
        }
    }

    private static (double Rate, double Peak) Child(string file, string arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode}): {error}");
        var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        return (json.GetProperty("tokens_per_s").GetDouble(), json.GetProperty("peak_rss_mib").GetDouble());
    }

    /// <summary>One case in this process: prints {"tokens_per_s", "peak_rss_mib"}.</summary>
    public static void RunCase(string name)
    {
        var checkpointing = name is "checkpointing" or "both";
        var budget = name is "micro-batches" or "both" ? Budget : 0;
        random.manual_seed(0);
        using var model = new Qwen3ForCausalLM(Model(), initSeed: 1);
        model.GradientCheckpointing = checkpointing;
        model.train();
        using var optimizer = new AdamW(model.parameters(), learningRate: 1e-4);
        using var batchTokens = ((double)Lengths().Sum()).ToScalar();
        var lengths = Lengths();
        var generator = new System.Random(3);
        var rows = lengths.Select(l => Enumerable.Range(0, l).Select(_ => (long)generator.Next(2048)).ToArray()).ToArray();
        // each row its own "group": the planner sorts by length and packs under the budget
        var plan = MicroBatches.Plan(lengths.Select(l => new GroupShape([l], [0])).ToList(), budget);
        var realTokens = lengths.Sum();
        var times = new List<double>();
        for (var step = 0; step < Steps + 1; step++)
        {
            var watch = Stopwatch.StartNew();
            optimizer.ZeroGrad();
            foreach (var micro in plan)
            {
                using var scope = NewDisposeScope();
                var members = micro.Groups.Select(g => rows[g]).ToArray();
                var width = members.Max(r => r.Length);
                var ids = new long[members.Length * width];
                var mask = new long[members.Length * width];
                for (var r = 0; r < members.Length; r++)
                    for (var t = 0; t < members[r].Length; t++)
                    {
                        ids[r * width + width - members[r].Length + t] = members[r][t];   // left padding, as rollouts are packed
                        mask[r * width + width - members[r].Length + t] = 1;
                    }
                var input = tensor(ids, [members.Length, width]);
                var attention = tensor(mask, [members.Length, width]);
                var logits = model.Forward(input, attention);
                // next-token NLL summed over real positions, divided by the whole batch's tokens (so micro-batches add up)
                var nll = nn.functional.cross_entropy(logits.narrow(1, 0, width - 1).reshape(-1, 2048), input.narrow(1, 1, width - 1).reshape(-1),
                    reduction: nn.Reduction.None).reshape(members.Length, width - 1);
                var loss = nll.mul(attention.narrow(1, 1, width - 1).to(ScalarType.Float32)).sum().div(batchTokens);
                loss.backward();
            }
            optimizer.Step();
            if (step > 0) times.Add(watch.Elapsed.TotalSeconds);
        }
        var median = times.Order().ElementAt(times.Count / 2);
        Console.WriteLine(JsonSerializer.Serialize(new { tokens_per_s = realTokens / median, peak_rss_mib = PeakRssMiB(), padding = MicroBatches.PaddingFraction(plan) }));
    }

    private static double PeakRssMiB()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }
}
