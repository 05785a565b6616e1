using System.Text.Json;
using System.Text.Json.Nodes;
using Dsdr.Learning.Model;
using Dsdr.Learning.Tokenizers;
using TorchSharp;
using static TorchSharp.torch;

namespace Dsdr.Learning.Checkpoints;

/// <param name="Strict">Every model parameter must be in the files and every file tensor must be a model parameter.</param>
/// <param name="DType">Parameter dtype after loading (bfloat16 weights are widened to float32 by default); null keeps the files' dtype.</param>
/// <param name="Device">Where the model ends up; null = CPU.</param>
public sealed record CheckpointLoadOptions(bool Strict = true, ScalarType? DType = ScalarType.Float32, Device? Device = null);

/// <summary>What a non-strict load left out: model parameters absent from the files, file tensors the model does not have.</summary>
public sealed record CheckpointLoadReport(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);

/// <summary>The files do not match the model: lists what is missing, unexpected or of the wrong shape.</summary>
public sealed class CheckpointMismatchException(string message, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> wrongShape)
    : Exception(message)
{
    public IReadOnlyList<string> Missing { get; } = missing;
    public IReadOnlyList<string> Unexpected { get; } = unexpected;
    public IReadOnlyList<string> WrongShape { get; } = wrongShape;
}

/// <summary>
/// Hugging Face checkpoint folders: config.json plus model.safetensors, or shards listed in
/// model.safetensors.index.json, under Hugging Face parameter names; the tokenizer's files beside them.
/// </summary>
public static class Checkpoint
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";
    private const string TiedHead = "lm_head.weight";

    /// <summary>Builds the model described by the folder's config.json and fills it from its safetensors.</summary>
    public static Qwen2ForCausalLM Load(string folder, CheckpointLoadOptions? options = null)
    {
        options ??= new CheckpointLoadOptions();
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Checkpoint folder {folder} does not exist.");
        var config = Qwen2Config.Load(Path.Combine(folder, ConfigFile));
        var model = Qwen2ForCausalLM.Create(config);
        try
        {
            var dtype = options.DType ?? FileDType(folder);
            if (dtype != ScalarType.Float32) model.to(dtype);
            LoadWeights(model, folder, options.Strict);
            if (options.Device is not null) model.to(options.Device);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Copies the folder's safetensors into <paramref name="model"/>'s parameters (converting dtype as needed).</summary>
    public static CheckpointLoadReport LoadWeights(Qwen2ForCausalLM model, string folder, bool strict = true)
    {
        var files = WeightFiles(folder);
        var readers = files.Select(f => new SafeTensors.SafeTensorsReader(f)).ToList();
        try
        {
            var entries = new Dictionary<string, (SafeTensors.SafeTensorsReader Reader, SafeTensorEntry Entry)>();
            foreach (var reader in readers)
                foreach (var entry in reader.Entries)
                {
                    if (!entries.TryAdd(entry.Name, (reader, entry)))
                        throw new InvalidDataException($"Tensor {entry.Name} appears in more than one file of {folder}: {Path.GetFileName(entries[entry.Name].Reader.Path)} and {Path.GetFileName(reader.Path)}.");
                    if (!IsFloating(entry.ScalarType))
                        throw new InvalidDataException($"{reader.Path}: tensor {entry.Name} is stored as {entry.DType}; model weights must be F32, BF16, F16 or F64.");
                }
            CheckIndexAgainstFiles(folder, entries.ToDictionary(e => e.Key, e => e.Value.Reader.Path));

            var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            var missing = parameters.Keys.Where(n => !entries.ContainsKey(n)).Order(StringComparer.Ordinal).ToList();
            // A tied model's head is its embedding: Hugging Face writers sometimes store it anyway.
            var unexpected = entries.Keys.Where(n => !parameters.ContainsKey(n) && !(n == TiedHead && model.Config.TieWordEmbeddings))
                .Order(StringComparer.Ordinal).ToList();
            var wrongShape = parameters
                .Where(p => entries.TryGetValue(p.Key, out var e) && !e.Entry.Shape.SequenceEqual(p.Value.shape))
                .Select(p => $"{p.Key} (file [{string.Join(", ", entries[p.Key].Entry.Shape)}], model [{string.Join(", ", p.Value.shape)}])")
                .ToList();
            if (wrongShape.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
                throw new CheckpointMismatchException(MismatchMessage(folder, model.Config.ModelType, missing, unexpected, wrongShape, strict), missing, unexpected, wrongShape);

            using var noGrad = no_grad();
            foreach (var (name, parameter) in parameters)
            {
                if (!entries.TryGetValue(name, out var source)) continue;
                using var loaded = source.Reader.Read(source.Entry);
                parameter.copy_(loaded);
            }
            return new CheckpointLoadReport(missing, unexpected);
        }
        finally
        {
            foreach (var reader in readers) reader.Dispose();
        }
    }

    /// <summary>
    /// Writes config.json and the weights under Hugging Face names (a tied head is not written), in
    /// <paramref name="dtype"/> (null = the model's), sharded with an index when larger than <paramref name="maxShardBytes"/>;
    /// then the tokenizer's files. Replaces the weights of an earlier save in the same folder.
    /// </summary>
    public static void Save(Qwen2ForCausalLM model, string folder, ITokenizer? tokenizer = null, ScalarType? dtype = null, long maxShardBytes = 5L << 30)
    {
        if (maxShardBytes <= 0) throw new ArgumentOutOfRangeException(nameof(maxShardBytes), "maxShardBytes must be positive.");
        Directory.CreateDirectory(folder);
        var parameters = model.named_parameters().ToList();
        var saveType = dtype ?? parameters[0].parameter.dtype;

        var shards = new List<List<(string Name, Tensor Tensor)>> { new() };
        long shardBytes = 0, totalBytes = 0;
        foreach (var (name, parameter) in parameters)
        {
            var bytes = parameter.numel() * SafeTensors.ElementSize(saveType);
            if (shardBytes > 0 && shardBytes + bytes > maxShardBytes)
            {
                shards.Add([]);
                shardBytes = 0;
            }
            shards[^1].Add((name, parameter));
            shardBytes += bytes;
            totalBytes += bytes;
        }

        foreach (var stale in Directory.EnumerateFiles(folder, "model*.safetensors").Append(Path.Combine(folder, IndexFile)))
            File.Delete(stale);
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        var weightMap = new JsonObject();
        for (var i = 0; i < shards.Count; i++)
        {
            var file = shards.Count == 1 ? WeightsFile : $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
            using var scope = NewDisposeScope();
            WriteAtomically(Path.Combine(folder, file), path => SafeTensors.Save(path,
                shards[i].Select(s => KeyValuePair.Create(s.Name, s.Tensor.detach().to(saveType))), metadata));
            foreach (var (name, _) in shards[i]) weightMap[name] = file;
        }
        if (shards.Count > 1)
        {
            var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = totalBytes }, ["weight_map"] = weightMap };
            WriteAtomically(Path.Combine(folder, IndexFile), path => File.WriteAllText(path, index.ToJsonString(new JsonSerializerOptions { WriteIndented = true })));
        }
        var config = model.Config with { TorchDtype = DTypeName(saveType) };
        WriteAtomically(Path.Combine(folder, ConfigFile), config.Save);
        tokenizer?.Save(folder);
    }

    /// <summary>The safetensors files of a checkpoint folder: the index's shards, or model.safetensors.</summary>
    public static IReadOnlyList<string> WeightFiles(string folder)
    {
        var indexPath = Path.Combine(folder, IndexFile);
        if (File.Exists(indexPath))
        {
            var files = IndexWeightMap(indexPath).Values.Distinct().Order(StringComparer.Ordinal).Select(f => Path.Combine(folder, f)).ToList();
            foreach (var file in files)
                if (!File.Exists(file)) throw new FileNotFoundException($"{indexPath} lists shard {Path.GetFileName(file)}, which is not in the folder.", file);
            return files;
        }
        var single = Path.Combine(folder, WeightsFile);
        if (File.Exists(single)) return [single];
        var shards = Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "model-*.safetensors").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList() : [];
        if (shards.Count > 0)
            throw new FileNotFoundException($"{folder} holds shards ({string.Join(", ", shards)}) but no {IndexFile} saying which tensor is in which; copy the index from the checkpoint's source.", indexPath);
        throw new FileNotFoundException($"No weights in {folder}: expected {WeightsFile} or {IndexFile}.", single);
    }

    /// <summary>An index's weight_map: tensor name → shard file name (a plain name inside the folder).</summary>
    private static Dictionary<string, string> IndexWeightMap(string indexPath)
    {
        JsonObject? map;
        try
        {
            map = JsonNode.Parse(File.ReadAllText(indexPath))?["weight_map"] as JsonObject;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{indexPath} is not valid JSON: {e.Message}", e);
        }
        if (map is null || map.Count == 0) throw new InvalidDataException($"{indexPath} has no weight_map object naming each tensor's shard.");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in map)
        {
            var file = value is JsonValue v && v.TryGetValue<string>(out var f) ? f : null;
            if (string.IsNullOrEmpty(file) || file != Path.GetFileName(file))
                throw new InvalidDataException($"{indexPath}: tensor {name} maps to {value?.ToJsonString() ?? "null"}, not a file name in the folder.");
            result[name] = file;
        }
        return result;
    }

    // Every tensor the index names must be in the shard it names (a stale index would silently load nothing for it).
    private static void CheckIndexAgainstFiles(string folder, IReadOnlyDictionary<string, string> tensorFiles)
    {
        var indexPath = Path.Combine(folder, IndexFile);
        if (!File.Exists(indexPath)) return;
        foreach (var (name, file) in IndexWeightMap(indexPath))
            if (!tensorFiles.TryGetValue(name, out var actual) || Path.GetFileName(actual) != file)
                throw new InvalidDataException(actual is null
                    ? $"{indexPath} puts tensor {name} in {file}, but no shard holds it."
                    : $"{indexPath} puts tensor {name} in {file}, but it is in {Path.GetFileName(actual)}.");
    }

    private static bool IsFloating(ScalarType type) => type is ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float64;

    private static ScalarType FileDType(string folder)
    {
        using var reader = new SafeTensors.SafeTensorsReader(WeightFiles(folder)[0]);
        return reader.Entries.Select(e => e.ScalarType).FirstOrDefault(t => t is ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float64, ScalarType.Float32);
    }

    private static string DTypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        ScalarType.Float64 => "float64",
        _ => type.ToString().ToLowerInvariant(),
    };

    private static void WriteAtomically(string path, Action<string> write)
    {
        var temporary = path + ".tmp";
        write(temporary);
        File.Move(temporary, path, overwrite: true);
    }

    private static string MismatchMessage(string folder, string modelType, List<string> missing, List<string> unexpected, List<string> wrongShape, bool strict)
    {
        static string List(IReadOnlyList<string> names) =>
            string.Join(", ", names.Take(30)) + (names.Count > 30 ? $", … and {names.Count - 30} more" : "");
        var parts = new List<string>();
        if (strict && missing.Count > 0) parts.Add($"missing {missing.Count}: {List(missing)}");
        if (strict && unexpected.Count > 0) parts.Add($"unexpected {unexpected.Count}: {List(unexpected)}");
        if (wrongShape.Count > 0) parts.Add($"wrong shape {wrongShape.Count}: {List(wrongShape)}");
        return $"Checkpoint {folder} ({string.Join(", ", WeightFiles(folder).Select(Path.GetFileName))}) does not match the {modelType} model (Hugging Face names expected) — {string.Join("; ", parts)}.";
    }
}
