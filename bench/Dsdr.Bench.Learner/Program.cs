using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Compute;
using Dsdr.Learning.Model;
using Dsdr.Learning.Sampling;
using Dsdr.Learning.Training;
using TorchSharp;
using static TorchSharp.torch;

// Learner benchmark (issue 3, item 8). Prints figures and ratios against a named peer:
//  (a) KV-cache sampling vs recomputing the whole prefix every step (small preset, 64 sequences × 128 new tokens);
//  (b) TorchSharp vs PyTorch (bench/pytorch/qwen2_reference.py, Debian python3-torch) on the same model and shapes:
//      training step (forward, backward, AdamW) and KV-cache generation tokens/s, at the same thread count;
//  plus a semantic cross-check: the PyTorch reference's logits on a C#-written checkpoint.
// Usage: dotnet run -c Release --project bench/Dsdr.Bench.Learner -- [--threads N] [--quick] [--no-recompute] [--no-pytorch]
//        … -- --memory [--threads N]: gradient checkpointing and micro-batches vs plain, each against PyTorch (MemoryBench.cs)
var arguments = args.ToList();
int IntArg(string name, int fallback) => arguments.IndexOf(name) is var i and >= 0 ? int.Parse(arguments[i + 1], CultureInfo.InvariantCulture) : fallback;
var threads = IntArg("--threads", Environment.ProcessorCount);
var quick = arguments.Contains("--quick");
var python = arguments.IndexOf("--python") is var p and >= 0 ? arguments[p + 1] : "/usr/bin/python3";
var script = Path.Combine(RepositoryRoot(), "bench", "pytorch", "qwen2_reference.py");

new ComputeConfig("cpu", threads).Apply();
if (arguments.IndexOf("--memory-case") is var memoryCase and >= 0)
{
    Dsdr.Bench.Learner.MemoryBench.RunCase(arguments[memoryCase + 1]);
    return 0;
}
if (arguments.Contains("--memory"))
{
    Dsdr.Bench.Learner.MemoryBench.RunAll(Environment.ProcessPath!, python, Path.Combine(RepositoryRoot(), "bench", "pytorch", "qwen3_reference.py"), threads);
    return 0;
}
if (arguments.Contains("--profile-update"))
{
    Dsdr.Bench.Learner.UpdateProfile.Run();
    return 0;
}
if (arguments.Contains("--profile"))
{
    Dsdr.Bench.Learner.Profile.Run(arguments.Contains("--countdown"));
    return 0;
}
const int vocab = 64;
var config = Qwen2Config.Small(vocab);
int batch = 64, promptLength = 16, newTokens = quick ? 32 : 128;
int trainBatch = quick ? 8 : 32, trainLength = 128, trainSteps = quick ? 2 : 4;
var results = new JsonObject
{
    ["machine"] = $"{Environment.ProcessorCount} cores, {threads} libtorch threads, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}",
    ["preset"] = $"small (d={config.HiddenSize}, layers={config.NumHiddenLayers}, heads={config.NumAttentionHeads}/{config.NumKeyValueHeads}, ffn={config.IntermediateSize}, vocab={vocab})",
};
Console.WriteLine($"machine: {results["machine"]}");
Console.WriteLine($"model:   {results["preset"]}");

// ---- semantic cross-check against the PyTorch reference -------------------------------------------------------------
if (!arguments.Contains("--no-pytorch"))
{
    var diff = CrossCheck(python, script);
    results["pytorch_check_max_abs_logit_diff"] = diff;
    Console.WriteLine($"cross-check: max |logit(TorchSharp) − logit(PyTorch reference)| = {diff:E2} (left-padded batch, GQA, untied head)");
}

random.manual_seed(0);
using var model = new Qwen2ForCausalLM(config);
model.eval();
Console.WriteLine($"parameters: {model.ParameterCount():N0}");

// ---- (a) sampler: KV cache vs recompute ----------------------------------------------------------------------------
var generator = new System.Random(1);
var prompts = Enumerable.Range(0, batch).Select(_ => (IReadOnlyList<int>)Enumerable.Range(0, promptLength).Select(_ => generator.Next(vocab)).ToList()).ToList();
var sampler = new Sampler(model, eosId: null);
var options = new SamplingOptions(MaxNewTokens: newTokens, Temperature: 1.0, Seed: 1);
sampler.Generate(prompts, options with { MaxNewTokens = 8 });   // warm-up
var cachedRuns = Enumerable.Range(0, quick ? 1 : 3).Select(_ => TokensPerSecond(() => sampler.Generate(prompts, options))).ToList();
var (cachedRate, cachedCpuRate) = (Median(cachedRuns.Select(r => r.Wall)), Median(cachedRuns.Select(r => r.Cpu)));
results["sampler_kv_cache_tokens_per_s"] = cachedRate;
results["sampler_kv_cache_tokens_per_cpu_s"] = cachedCpuRate;
Console.WriteLine($"(a) sampler, {batch} × {newTokens} new tokens after {promptLength}-token prompts:");
Console.WriteLine($"    KV cache:  {cachedRate,10:F0} tokens/s  ({cachedCpuRate:F0} per CPU second)");
if (!arguments.Contains("--no-recompute"))
{
    var (recomputeRate, recomputeCpuRate) = TokensPerSecond(() => sampler.Generate(prompts, options with { UseKvCache = false }));
    results["sampler_recompute_tokens_per_s"] = recomputeRate;
    results["sampler_recompute_tokens_per_cpu_s"] = recomputeCpuRate;
    results["kv_cache_speedup"] = cachedRate / recomputeRate;
    results["kv_cache_speedup_cpu"] = cachedCpuRate / recomputeCpuRate;
    Console.WriteLine($"    recompute: {recomputeRate,10:F0} tokens/s  ({recomputeCpuRate:F0} per CPU second)");
    Console.WriteLine($"    ratio KV cache / recompute = {cachedRate / recomputeRate:F1}× wall, {cachedCpuRate / recomputeCpuRate:F1}× CPU (target ≥ 5×)");
}

// ---- (c) the RL default's rollout shape: Countdown preset, B = 16 prompts × G = 8, up to 24 new tokens -----------------
double countdownMs;
{
    random.manual_seed(1);
    using var countdown = new Qwen2ForCausalLM(Qwen2Config.Countdown(21));
    countdown.eval();
    var countdownPrompts = Enumerable.Range(0, 16).SelectMany(_ =>
    {
        IReadOnlyList<int> prompt = Enumerable.Range(0, 9 + generator.Next(4)).Select(_ => 2 + generator.Next(19)).ToList();
        return Enumerable.Repeat(prompt, 8);
    }).ToList();
    var countdownSampler = new Sampler(countdown, eosId: null);
    var countdownOptions = new SamplingOptions(MaxNewTokens: 24, Temperature: 1.0, Seed: 2);
    countdownSampler.Generate(countdownPrompts, countdownOptions);
    var watch = Stopwatch.StartNew();
    const int rounds = 10;
    for (var i = 0; i < rounds; i++) countdownSampler.Generate(countdownPrompts, countdownOptions with { Seed = (ulong)i });
    var perRound = countdownMs = watch.Elapsed.TotalMilliseconds / rounds;
    results["countdown_rollout_ms"] = perRound;
    Console.WriteLine($"(c) Countdown preset ({countdown.ParameterCount():N0} parameters), 128 rollouts × 24 tokens: {perRound:F0} ms per batch ({128 * 24 / perRound * 1000:F0} tokens/s)");
}

// ---- (b) training step ---------------------------------------------------------------------------------------------
model.train();
var (trainMs, trainCpuMs) = TrainStepMilliseconds(model, trainBatch, trainLength, trainSteps);
model.eval();
results["train_step_ms"] = trainMs;
results["train_step_cpu_ms"] = trainCpuMs;
Console.WriteLine($"(b) training step (forward, backward, AdamW), batch {trainBatch} × {trainLength - 1}: {trainMs:F0} ms ({trainCpuMs:F0} ms CPU)");

if (!arguments.Contains("--no-pytorch"))
{
    var spec = new JsonObject
    {
        ["threads"] = threads,
        ["config"] = JsonNode.Parse(config.ToJson()),
        ["train_batch"] = trainBatch, ["train_length"] = trainLength, ["train_warmup"] = 1, ["train_steps"] = trainSteps,
        ["gen_batch"] = batch, ["gen_prompt"] = promptLength, ["gen_new_tokens"] = newTokens, ["gen_warmup"] = 1, ["gen_runs"] = quick ? 1 : 3,
        ["countdown_config"] = JsonNode.Parse(Qwen2Config.Countdown(21).ToJson()),
    };
    var reference = JsonNode.Parse(RunPython(python, script, "bench", spec.ToJsonString()))!.AsObject();
    var pyTrain = reference["train_ms"]!.GetValue<double>();
    var pyTrainCpu = reference["train_cpu_ms"]!.GetValue<double>();
    var pyRate = reference["gen_tokens_per_s"]!.GetValue<double>();
    var pyCpuRate = reference["gen_tokens_per_cpu_s"]!.GetValue<double>();
    results["pytorch"] = reference.DeepClone();
    results["train_ratio_torchsharp_over_pytorch"] = trainMs / pyTrain;
    results["train_cpu_ratio_torchsharp_over_pytorch"] = trainCpuMs / pyTrainCpu;
    results["generation_time_ratio_torchsharp_over_pytorch"] = pyRate / cachedRate;
    results["generation_cpu_ratio_torchsharp_over_pytorch"] = pyCpuRate / cachedCpuRate;
    Console.WriteLine($"    PyTorch {reference["torch"]} ({reference["threads"]} threads): training step {pyTrain:F0} ms ({pyTrainCpu:F0} ms CPU), generation {pyRate:F0} tokens/s ({pyCpuRate:F0} per CPU second)");
    Console.WriteLine($"    ratio TorchSharp / PyTorch, training step time:  {trainMs / pyTrain:F2} wall, {trainCpuMs / pyTrainCpu:F2} CPU (target ≤ 1.2)");
    Console.WriteLine($"    ratio TorchSharp / PyTorch, generation time:     {pyRate / cachedRate:F2} wall, {pyCpuRate / cachedCpuRate:F2} CPU (target ≤ 1.2)");
    var pyCountdown = reference["countdown_rollout_ms"]!.GetValue<double>();
    results["countdown_rollout_ratio_torchsharp_over_pytorch"] = countdownMs / pyCountdown;
    Console.WriteLine($"    ratio TorchSharp / PyTorch, Countdown rollout batch: {countdownMs / pyCountdown:F2} (PyTorch {pyCountdown:F0} ms)");
}
Console.WriteLine(results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
return 0;

// Tokens per wall-clock second and per CPU second of this process (the latter is steadier on a shared machine).
static (double Wall, double Cpu) TokensPerSecond(Func<IReadOnlyList<Completion>> generate)
{
    using var process = Process.GetCurrentProcess();
    var cpu = process.TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    var completions = generate();
    var wall = watch.Elapsed.TotalSeconds;
    process.Refresh();
    var tokens = completions.Sum(c => c.Length);
    return (tokens / wall, tokens / (process.TotalProcessorTime - cpu).TotalSeconds);
}

static (double Wall, double Cpu) TrainStepMilliseconds(Qwen2ForCausalLM model, int batch, int length, int steps)
{
    using var optimizer = new AdamW(model.parameters(), 1e-4);
    using var ids = randint(0, model.Config.VocabSize, [batch, length]);
    using var process = Process.GetCurrentProcess();
    var times = new List<double>();
    var cpuTimes = new List<double>();
    for (var i = 0; i < steps + 1; i++)
    {
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        using (var scope = NewDisposeScope())
        {
            var logits = model.forward(ids.narrow(1, 0, length - 1));
            var loss = nn.functional.cross_entropy(logits.reshape(-1, model.Config.VocabSize), ids.narrow(1, 1, length - 1).reshape(-1));
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step();
        }
        process.Refresh();
        if (i == 0) continue;
        times.Add(watch.Elapsed.TotalMilliseconds);
        cpuTimes.Add((process.TotalProcessorTime - cpu).TotalMilliseconds);
    }
    return (Median(times), Median(cpuTimes));
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted[sorted.Count / 2];
}

static double CrossCheck(string python, string script)
{
    var folder = Path.Combine(Path.GetTempPath(), "dsdr-bench-check-" + Guid.NewGuid().ToString("N"));
    random.manual_seed(5);
    var checkConfig = new Qwen2Config
    {
        VocabSize = 50, HiddenSize = 64, IntermediateSize = 96, NumHiddenLayers = 2, NumAttentionHeads = 4,
        NumKeyValueHeads = 2, TieWordEmbeddings = false, RopeTheta = 10000, MaxPositionEmbeddings = 64,
    };
    using var checkModel = new Qwen2ForCausalLM(checkConfig);
    using (no_grad())
        foreach (var (name, parameter) in checkModel.named_parameters())
        {
            using var scale = (name.Contains("norm") ? 0.3 : 0.05).ToScalar();
            parameter.add_(randn_like(parameter).mul_(scale), Scalars.One);   // non-trivial biases and norm scales
        }
    checkModel.eval();
    Checkpoint.Save(checkModel, folder);
    long[,] ids = { { 3, 14, 15, 9, 2, 6, 5, 35, 8, 9, 7, 9 }, { 0, 0, 0, 0, 23, 8, 46, 26, 43, 38, 32, 7 } };
    long[,] mask = { { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, { 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 } };
    using var logits = checkModel.Forward(tensor(ids), tensor(mask));
    var input = new JsonObject
    {
        ["ids"] = JsonSerializer.SerializeToNode(ToJagged(ids)),
        ["mask"] = JsonSerializer.SerializeToNode(ToJagged(mask)),
        ["logits"] = JsonSerializer.SerializeToNode(Enumerable.Range(0, 2).Select(b =>
            Enumerable.Range(0, 12).Select(t => logits[b, t].data<float>().ToArray()).ToArray()).ToArray()),
    };
    File.WriteAllText(Path.Combine(folder, "check_input.json"), input.ToJsonString());
    var answer = JsonNode.Parse(RunPython(python, script, "check", folder))!;
    Directory.Delete(folder, recursive: true);
    return answer["max_abs_diff"]!.GetValue<double>();
}

static long[][] ToJagged(long[,] a) =>
    Enumerable.Range(0, a.GetLength(0)).Select(i => Enumerable.Range(0, a.GetLength(1)).Select(j => a[i, j]).ToArray()).ToArray();

static string RunPython(string python, string script, string mode, string argument)
{
    var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
    start.ArgumentList.Add(script);
    start.ArgumentList.Add(mode);
    start.ArgumentList.Add(argument);
    using var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {python}.");
    var stdout = process.StandardOutput.ReadToEndAsync();
    var stderr = process.StandardError.ReadToEndAsync();
    process.WaitForExit();
    if (process.ExitCode != 0)
        throw new InvalidOperationException($"{python} {script} {mode} failed ({process.ExitCode}): {stderr.Result}\n(install with: apt-get install -y python3-torch libopenblas0-pthread)");
    return stdout.Result.Trim().Split('\n')[^1];
}

static string RepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Dsdr.sln"))) return dir.FullName;
    throw new DirectoryNotFoundException("Cannot find the repository root (Dsdr.sln) above the bench binary.");
}
