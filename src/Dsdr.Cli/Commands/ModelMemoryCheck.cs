using Dsdr.Core.Sweeps;

namespace Dsdr.Cli.Commands;

/// <summary>
/// `dsdr doctor --model PRESET|FOLDER [--spec FILE]`: the memory one trial of that model would need — weights, gradients
/// and AdamW state, the rollout and evaluation KV caches, one training forward's activations — for the spec's first
/// trial (or the default batch), against the slot memory the spec asks for; the knobs that would fit it when it does not.
/// </summary>
internal static class ModelMemoryCheck
{
    public const string Name = "model memory";

    // the batch `dsdr doctor --model` assumes without a spec: the default hyper-parameters and resources
    private const string DefaultSpec = """{ "name": "doctor", "task": { "kind": "countdown" }, "model": { "preset": "tiny" }, "arms": ["grpo"], "seeds": [0] }""";

    public static DoctorCheck Run(string? model, string? specPath)
    {
        SweepSpec spec;
        try
        {
            var text = specPath is null ? DefaultSpec : File.ReadAllText(specPath);
            var parsed = SweepSpecParser.Parse(text);
            if (parsed.Spec is null)
                return DoctorCheck.Fail(Name, $"{specPath} is not a valid sweep spec: {string.Join("; ", parsed.Errors.Take(3))}", "fix the spec (dsdr sweep validate shows every error)");
            spec = parsed.Spec;
        }
        catch (IOException e)
        {
            return DoctorCheck.Fail(Name, $"cannot read {specPath}: {e.Message}", "give --spec an existing sweep spec file");
        }
        if (model is not null)
            spec = spec with { Model = ModelPresets.TryGet(model, out _) ? new ModelSpec(model, null, spec.Model.Sft) : new ModelSpec(null, Path.GetFullPath(model), spec.Model.Sft with { Enabled = false }) };

        string described;
        if (spec.Model.Checkpoint is { } folder)
        {
            ModelShape? shape;
            try
            {
                shape = ModelShape.FromCheckpoint(folder);
            }
            catch (InvalidDataException e)
            {
                return DoctorCheck.Fail(Name, e.Message, "point --model at a Qwen2 or Qwen3 checkpoint folder");
            }
            if (shape is null)
                return DoctorCheck.Fail(Name, $"{folder} has no config.json", $"--model takes a preset ({string.Join(", ", ModelPresets.All.Select(p => p.Name))}) or a Hugging Face checkpoint folder");
            described = $"{shape.Family} checkpoint {folder} ({shape.Layers} layers, d = {shape.ModelDim}, {shape.Heads} heads of {shape.HeadDim} over {shape.KvHeads} KV heads, vocabulary {shape.Vocabulary}, {(shape.TiedEmbeddings ? "tied" : "untied")})";
        }
        else described = $"preset {spec.Model.Preset}";

        var trial = SweepExpander.Expand(spec)[0];
        var config = trial.Config;
        var cost = TrialCostEstimate.Estimate(config, spec);
        var memory = cost.MemoryGiB!.Value;
        var finding = $"{described}: {TrialCostEstimate.GiBText(memory)} for trial {trial.Row} — {cost.Parameters:N0} parameters, " +
                      $"weights {TrialCostEstimate.GiBText(cost.WeightsGiB)}, gradients and AdamW {TrialCostEstimate.GiBText(cost.OptimizerGiB)}, " +
                      $"rollout KV cache {TrialCostEstimate.GiBText(cost.RolloutGiB)} ({config.PromptsPerStep} × {config.GroupSize} sequences of {cost.SequenceTokens} tokens), " +
                      $"evaluation {TrialCostEstimate.GiBText(cost.EvaluationGiB)}, activations {TrialCostEstimate.GiBText(cost.ActivationGiB)} " +
                      $"(gradientCheckpointing {(config.GradientCheckpointing ? "on" : "off")}, maxTokensPerMicroBatch {config.MaxTokensPerMicroBatch}), " +
                      $"runtime {TrialCostEstimate.GiBText(cost.RuntimeGiB)}; fp32 weights (bf16 is not implemented)";
        var slot = spec.Resources.MemoryGiB;
        return memory <= slot
            ? DoctorCheck.Ok(Name, $"{finding}; fits memoryGiB {TrialCostEstimate.GiBText(slot)}")
            : DoctorCheck.Warn(Name, $"{finding}; exceeds memoryGiB {TrialCostEstimate.GiBText(slot)}",
                TrialCostEstimate.FittingKnobs(config, spec) + "lower promptsPerStep, groupSize or maxNewTokens, or raise resources.memoryGiB");
    }
}
