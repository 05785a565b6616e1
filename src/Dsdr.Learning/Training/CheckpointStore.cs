using System.Globalization;
using System.Text.Json;
using Dsdr.Core.Sweeps;
using Dsdr.Learning.Checkpoints;
using Dsdr.Learning.Model;
using Dsdr.Learning.Tokenizers;

namespace Dsdr.Learning.Training;

/// <summary>
/// The trainer's own state in a checkpoint. Random state is not stored because there is none to store: every sampler,
/// shuffle and data-order seed is derived from (config seed, step, …), and the data order from the cursor.
/// </summary>
public sealed record TrainerState(int FormatVersion, int Step, long DataCursor, int Updates, TrainingConfig Config);

/// <summary>
/// Training checkpoints: one folder per step, <c>step-000050/</c>, holding <c>model/</c> (Hugging Face layout, float32,
/// with the tokenizer), <c>optimizer.safetensors</c> (AdamW moments and step counts), <c>reference/</c> when β &gt; 0, and
/// <c>trainer.json</c>. A checkpoint is written into a hidden temporary folder and renamed into place, so a crash never
/// leaves a half-written <c>step-*</c> folder; only the newest N are kept.
/// </summary>
public static class CheckpointStore
{
    /// <summary>2: the optimiser state is Dsdr's <see cref="AdamW"/> in safetensors (1 was TorchSharp's AdamW state).</summary>
    public const int FormatVersion = 2;
    public const string ModelFolder = "model";
    public const string ReferenceFolder = "reference";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string StateFile = "trainer.json";
    private const string Prefix = "step-";

    public static string FolderName(int step) => Prefix + step.ToString("D6", CultureInfo.InvariantCulture);

    public static string Save(string root, TrainerState state, Qwen2ForCausalLM policy, ITokenizer tokenizer, AdamW optimizer,
        Qwen2ForCausalLM? reference, int keep)
    {
        Directory.CreateDirectory(root);
        var final = Path.Combine(root, FolderName(state.Step));
        var temporary = Path.Combine(root, $".{FolderName(state.Step)}.partial-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temporary);
        try
        {
            Checkpoint.Save(policy, Path.Combine(temporary, ModelFolder), tokenizer);
            if (reference is not null) Checkpoint.Save(reference, Path.Combine(temporary, ReferenceFolder), tokenizer);
            optimizer.Save(Path.Combine(temporary, OptimizerFile));
            File.WriteAllText(Path.Combine(temporary, StateFile), JsonSerializer.Serialize(state, SweepJson.Indented));
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(temporary, final);
        }
        catch
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            throw;
        }
        foreach (var old in Complete(root).SkipLast(keep)) Directory.Delete(old.Folder, recursive: true);
        return final;
    }

    /// <summary>The newest complete checkpoint folder under <paramref name="root"/>, or null.</summary>
    public static string? Latest(string root) => Complete(root).LastOrDefault().Folder;

    /// <summary>Complete checkpoints (a trainer.json present), oldest first.</summary>
    public static IReadOnlyList<(int Step, string Folder)> Complete(string root)
    {
        if (!Directory.Exists(root)) return [];
        return Directory.GetDirectories(root, Prefix + "*")
            .Select(folder => (Folder: folder, Name: Path.GetFileName(folder)))
            .Where(f => int.TryParse(f.Name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out _)
                && File.Exists(Path.Combine(f.Folder, StateFile)))
            .Select(f => (Step: int.Parse(f.Name.AsSpan(Prefix.Length), CultureInfo.InvariantCulture), f.Folder))
            .OrderBy(f => f.Step)
            .ToList();
    }

    /// <summary>Reads the trainer state of a checkpoint folder.</summary>
    public static TrainerState ReadState(string folder)
    {
        var path = Path.Combine(folder, StateFile);
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path), SweepJson.Options)
            ?? throw new InvalidDataException($"{path} is empty.");
        if (state.FormatVersion != FormatVersion)
            throw new InvalidDataException($"{path} has checkpoint format {state.FormatVersion}; this build reads format {FormatVersion}.");
        return state;
    }

    /// <summary>Loads a checkpoint folder into an existing policy, optimiser and (when β &gt; 0) reference.</summary>
    public static TrainerState Load(string folder, Qwen2ForCausalLM policy, AdamW optimizer, Qwen2ForCausalLM? reference)
    {
        var state = ReadState(folder);
        Checkpoint.LoadWeights(policy, Path.Combine(folder, ModelFolder));
        if (reference is not null)
        {
            var referenceFolder = Path.Combine(folder, ReferenceFolder);
            if (!Directory.Exists(referenceFolder))
                throw new InvalidDataException($"Checkpoint {folder} has no {ReferenceFolder}/ but this run uses a KL penalty (β > 0); it was written with β = 0.");
            Checkpoint.LoadWeights(reference, referenceFolder);
        }
        optimizer.Load(Path.Combine(folder, OptimizerFile));
        return state;
    }
}
