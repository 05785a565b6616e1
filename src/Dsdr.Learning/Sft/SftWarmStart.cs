using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dsdr.Core.Sweeps;
using Dsdr.Core.Tasks;
using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Compute;
using Dsdr.Learning.Losses;
using Dsdr.Learning.Model;
using Dsdr.Learning.Tokenizers;
using Dsdr.Learning.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Sft;

/// <summary>
/// What determines a warm-start backbone.
/// </summary>
/// <param name="Task">The synthetic task (countdown or arith) whose training problems supply the examples.</param>
/// <param name="Model">The decoder's shape (<see cref="Qwen2Config.FromPreset"/> for the sweep presets); its vocabulary must match the tokenizer.</param>
/// <param name="Tokenizer">Encodes prompts and responses; saved with the checkpoint.</param>
/// <param name="Sft">Steps, batch, learning rate, warm-up and seed.</param>
/// <param name="CacheRoot">Folder that holds one sub-folder per distinct request (created when missing).</param>
/// <param name="Threads">libtorch intra-op CPU threads (0 = one per core); does not change the cache key.</param>
/// <param name="Device">"auto", "cpu", "cuda" or "cuda:N"; does not change the cache key.</param>
/// <param name="Prompts">Prompt style; null = the task's default (Countdown compact, arith verbose).</param>
public sealed record SftRequest(
    TaskSpec Task,
    Qwen2Config Model,
    ITokenizer Tokenizer,
    SftSpec Sft,
    string CacheRoot,
    int Threads = 0,
    string Device = "auto",
    PromptStyle? Prompts = null);

/// <summary>Progress of a warm start: <see cref="Loss"/> is the mean response-token loss of the last logged steps.</summary>
public sealed record SftProgress(int Step, int Steps, double Loss);

/// <summary>What a finished warm start wrote next to its checkpoint (sft.json).</summary>
public sealed record SftSummary(string Key, int Steps, double FirstLoss, double FinalLoss, double Seconds, long Parameters, string Description);

/// <summary>
/// The "Backbone" of the result tables: next-token training, loss on the response tokens (and EOS) only, on correct
/// solutions of the synthetic task written in several valid orders (<see cref="SyntheticTasks.ExampleSource"/>), with
/// AdamW, linear learning-rate warm-up then a constant rate, and gradient-norm clipping at 1. The result is a
/// Hugging Face checkpoint folder cached under <see cref="SftRequest.CacheRoot"/> by a hash of everything that
/// determines it; concurrent callers of one request train it once (a lock file) and a folder only ever appears complete
/// (written to a temporary folder, then renamed).
/// </summary>
public static class SftWarmStart
{
    /// <summary>Bump when the training procedure changes, so old cached backbones are not reused.</summary>
    public const string CodeVersion = "sft-2";
    public const string SummaryFile = "sft.json";
    public const double GradClip = 1.0;
    public const double WeightDecay = 0.01;
    private const int LogEvery = 10;

    /// <summary>The cached backbone for <paramref name="request"/>, trained first when absent. Returns its checkpoint folder.</summary>
    public static string GetOrTrain(SftRequest request, IProgress<SftProgress>? progress, CancellationToken ct)
    {
        Validate(request);
        var key = CacheKey(request);
        Directory.CreateDirectory(request.CacheRoot);
        var folder = Path.Combine(request.CacheRoot, $"sft-{key}");
        if (IsComplete(folder)) return folder;

        using var gate = FileGate.Acquire(Path.Combine(request.CacheRoot, $"sft-{key}.lock"), ct);
        if (IsComplete(folder)) return folder;   // another caller finished it while we waited
        var temporary = Path.Combine(request.CacheRoot, $".sft-{key}.tmp-{Guid.NewGuid():N}");
        try
        {
            var summary = Train(request, key, temporary, progress, ct);
            File.WriteAllText(Path.Combine(temporary, SummaryFile), JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
            Directory.Move(temporary, folder);
        }
        catch (IOException) when (IsComplete(folder))
        {
            // a caller without our lock (another machine on a shared folder) renamed first: its result is as good
        }
        finally
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        }
        return folder;
    }

    /// <summary>
    /// Hex SHA-256 (first 16 bytes) of the canonical description: code version, task, model config, SFT spec, prompt
    /// style and the tokenizer's saved files.
    /// </summary>
    public static string CacheKey(SftRequest request)
    {
        var text = Description(request);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));
    }

    internal static string Description(SftRequest request) =>
        string.Join('\n',
            $"code={CodeVersion}",
            $"task={JsonSerializer.Serialize(request.Task, SweepJson.Options)}",
            $"model={request.Model.ToJson()}",
            $"sft={JsonSerializer.Serialize(request.Sft)}",
            $"prompts={request.Prompts ?? SyntheticTasks.DefaultPromptStyle(request.Task.Kind)}",
            $"tokenizer={TokenizerFingerprint(request.Tokenizer)}");

    // the tokenizer as its saved files say (name and content of each), so any vocabulary change changes the key
    private static string TokenizerFingerprint(ITokenizer tokenizer)
    {
        var folder = Path.Combine(Path.GetTempPath(), $"dsdr-tokenizer-{Guid.NewGuid():N}");
        try
        {
            tokenizer.Save(folder);
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var file in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
            {
                sha.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\n"));
                sha.AppendData(File.ReadAllBytes(file));
            }
            return $"{tokenizer.GetType().Name}:{tokenizer.VocabSize}:{Convert.ToHexStringLower(sha.GetHashAndReset())}";
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    private static bool IsComplete(string folder) => File.Exists(Path.Combine(folder, SummaryFile));

    private static void Validate(SftRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Task, nameof(request.Task));
        ArgumentNullException.ThrowIfNull(request.Model, nameof(request.Model));
        ArgumentNullException.ThrowIfNull(request.Tokenizer, nameof(request.Tokenizer));
        ArgumentNullException.ThrowIfNull(request.Sft, nameof(request.Sft));
        var sft = request.Sft;
        if (!sft.Enabled) throw new ArgumentException("SftSpec.Enabled is false: there is no warm start to train; start from the freshly initialised model instead.", nameof(request));
        if (sft.Steps < 1) throw new ArgumentException($"SftSpec.Steps must be ≥ 1, got {sft.Steps}.", nameof(request));
        if (sft.BatchSize < 1) throw new ArgumentException($"SftSpec.BatchSize must be ≥ 1, got {sft.BatchSize}.", nameof(request));
        if (!(sft.LearningRate > 0)) throw new ArgumentException($"SftSpec.LearningRate must be > 0, got {sft.LearningRate}.", nameof(request));
        if (sft.WarmupSteps < 0) throw new ArgumentException($"SftSpec.WarmupSteps must be ≥ 0, got {sft.WarmupSteps}.", nameof(request));
        if (string.IsNullOrWhiteSpace(request.CacheRoot)) throw new ArgumentException("SftRequest.CacheRoot is empty: give the folder that holds cached backbones.", nameof(request));
        request.Model.Validate();
        if (request.Model.VocabSize != request.Tokenizer.VocabSize)
            throw new ArgumentException($"The model's vocabulary ({request.Model.VocabSize}) differs from the tokenizer's ({request.Tokenizer.VocabSize}); build the config with the tokenizer's VocabSize.", nameof(request));
    }

    // lr_t = lr · min(1, (t + 1) / warmup)   (t = 0-based step; constant after the warm-up)
    public static double LearningRateAt(int step, double learningRate, int warmupSteps) =>
        warmupSteps <= 0 ? learningRate : learningRate * Math.Min(1.0, (step + 1.0) / warmupSteps);

    private static SftSummary Train(SftRequest request, string key, string folder, IProgress<SftProgress>? progress, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var device = new ComputeConfig(request.Device, request.Threads).Apply();
        var sft = request.Sft;
        var draw = SyntheticTasks.ExampleSource(request.Task, request.Prompts);
        var dataRandom = new SeededRandom((ulong)sft.Seed);

        using (var model = new Qwen2ForCausalLM(request.Model, initSeed: sft.Seed))
        {
            model.to(device);
            model.train();
            using var optimizer = new AdamW(model.parameters(), sft.LearningRate, weightDecay: WeightDecay);
            double firstLoss = double.NaN, windowSum = 0, lastWindow = double.NaN;
            var windowCount = 0;
            for (var step = 0; step < sft.Steps; step++)
            {
                ct.ThrowIfCancellationRequested();
                var examples = Enumerable.Range(0, sft.BatchSize).Select(_ => draw(dataRandom)).ToList();
                double loss;
                using (NewDisposeScope())
                {
                    using var batch = SftBatch.Create(examples, request.Tokenizer, request.Model.MaxPositionEmbeddings, device);
                    var value = ResponseLoss(model, batch);
                    optimizer.ZeroGrad();
                    value.backward();
                    nn.utils.clip_grad_norm_(model.parameters(), GradClip);
                    optimizer.LearningRate = LearningRateAt(step, sft.LearningRate, sft.WarmupSteps);
                    optimizer.Step();
                    loss = value.item<float>();
                }
                if (!double.IsFinite(loss)) throw new InvalidOperationException($"SFT loss became {loss} at step {step}; lower SftSpec.LearningRate.");
                if (step == 0) firstLoss = loss;
                windowSum += loss;
                windowCount++;
                if (windowCount == LogEvery || step == sft.Steps - 1)
                {
                    lastWindow = windowSum / windowCount;
                    progress?.Report(new SftProgress(step + 1, sft.Steps, lastWindow));
                    windowSum = 0;
                    windowCount = 0;
                }
            }
            model.eval();
            Checkpoint.Save(model, folder, request.Tokenizer);
            return new SftSummary(key, sft.Steps, firstLoss, lastWindow, clock.Elapsed.TotalSeconds, model.ParameterCount(), Description(request));
        }
    }

    // L = −(1/|R|) Σ_{(b,t) ∈ R} log π(x_{b,t+1} | x_{b,≤t})   R = positions whose next token is a response token or EOS
    internal static Tensor ResponseLoss(Qwen2ForCausalLM model, SftBatch batch)
    {
        var logits = model.Forward(batch.Inputs);
        var logp = TokenLogProbs.SequenceLogProbs(logits, batch.Targets);
        return -(logp * batch.LossMask).sum() / batch.LossMask.sum();
    }
}

/// <summary>
/// Examples packed for teacher forcing: sequence = prompt | response | EOS, right-padded; inputs are the sequence
/// without its last token, targets without its first; the mask selects targets in the response and EOS.
/// Right padding needs no attention mask: causal attention never lets a real token see the padding after it.
/// </summary>
internal sealed class SftBatch : IDisposable
{
    public required Tensor Inputs { get; init; }
    public required Tensor Targets { get; init; }
    public required Tensor LossMask { get; init; }

    public static SftBatch Create(IReadOnlyList<SftExample> examples, ITokenizer tokenizer, int context, Device device)
    {
        var sequences = examples.Select(e =>
        {
            var prompt = tokenizer.Encode(e.Prompt);
            var response = tokenizer.Encode(e.Response);
            return (Prompt: prompt.Count, Ids: (IReadOnlyList<int>)[.. prompt, .. response, tokenizer.EosId]);
        }).ToList();
        var longest = sequences.Max(s => s.Ids.Count);
        if (longest > context)
        {
            var example = examples[sequences.FindIndex(s => s.Ids.Count == longest)];
            throw new ArgumentException(
                $"An SFT example takes {longest} tokens but the model's context is {context}: \"{example.Prompt}{example.Response}\" + EOS. " +
                "Raise max_position_embeddings or use the compact prompt style.");
        }
        var width = longest - 1;
        var inputs = new long[examples.Count * width];
        var targets = new long[examples.Count * width];
        var mask = new float[examples.Count * width];
        for (var b = 0; b < sequences.Count; b++)
        {
            var (promptLength, ids) = sequences[b];
            for (var t = 0; t < width; t++)
            {
                var i = b * width + t;
                inputs[i] = t < ids.Count ? ids[t] : tokenizer.PadId;
                targets[i] = t + 1 < ids.Count ? ids[t + 1] : tokenizer.PadId;
                mask[i] = t + 1 < ids.Count && t + 1 >= promptLength ? 1f : 0f;
            }
        }
        long[] shape = [examples.Count, width];
        return new SftBatch
        {
            Inputs = tensor(inputs, shape, device: device),
            Targets = tensor(targets, shape, device: device),
            LossMask = tensor(mask, shape, device: device),
        };
    }

    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
        LossMask.Dispose();
    }
}
