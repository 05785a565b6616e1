using System.Text.Json.Serialization;

namespace Dsdr.Core.Sweeps;

/// <summary>
/// Names of the built-in loss aggregations (spec §6); the full set, new ones included, is
/// <see cref="Method.MethodRegistries.LossAggregations"/>.
/// </summary>
public static class LossAggregation
{
    /// <summary>Mean over every token of the mini-batch (verl/DAPO default).</summary>
    public const string TokenMean = "token-mean";
    /// <summary>Mean over tokens inside a sequence, then mean over sequences (the paper's Eq. 3).</summary>
    public const string SeqMeanTokenMean = "seq-mean-token-mean";
    /// <summary>Sum over tokens inside a sequence, then mean over sequences.</summary>
    public const string SeqMeanTokenSum = "seq-mean-token-sum";
}

/// <summary>
/// Per-token estimators of KL(π_θ ‖ π_ref) from tokens sampled by the policy (Schulman's k1, k2, k3): the spec's
/// <c>klEstimator</c> and the loss kernel's selector (Learning's KlPenalty) alike.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<KlEstimator>))]
public enum KlEstimator
{
    /// <summary>k1 = log π_θ − log π_ref (unbiased, high variance, can be negative).</summary>
    [JsonStringEnumMemberName("k1")] K1,
    /// <summary>k2 = ½ (log π_θ − log π_ref)².</summary>
    [JsonStringEnumMemberName("k2")] K2,
    /// <summary>k3 = exp(log π_ref − log π_θ) − (log π_ref − log π_θ) − 1 ≥ 0 (unbiased, low variance; verl's low_var_kl).</summary>
    [JsonStringEnumMemberName("k3")] K3,
}

/// <summary>
/// Number format of the policy's forward and backward passes. bf16: a bfloat16 working copy of the weights runs the
/// passes, the optimiser steps float32 master weights with float32 AdamW moments, and the working copy is refreshed from
/// them after each step; logits, log-softmax, losses and advantages stay float32.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<Precision>))]
public enum Precision
{
    /// <summary>float32 everywhere (the default).</summary>
    [JsonStringEnumMemberName("fp32")] Fp32,
    /// <summary>bfloat16 weights and activations, float32 master weights and optimiser state.</summary>
    [JsonStringEnumMemberName("bf16")] Bf16,
}

/// <summary>
/// The task family a sweep trains on, by its registered name (<see cref="Tasks.TaskFamilies"/>); a new family is its
/// registered <see cref="Tasks.TaskFamily"/>, not a value added here. The built-ins are named below for code and tests.
/// </summary>
[JsonConverter(typeof(TaskKindJsonConverter))]
public readonly record struct TaskKind(string Name)
{
    public static TaskKind Countdown { get; } = new(Tasks.CountdownTask.TaskName);
    public static TaskKind Arith { get; } = new(Tasks.ArithTask.TaskName);
    public static TaskKind Math { get; } = new(Tasks.MathTask.TaskName);

    /// <summary>The registered family of this name; an unknown name throws listing the known ones.</summary>
    public Tasks.TaskFamily Family => Tasks.TaskFamilies.Registry.Get(Name);

    public override string ToString() => Name;
}

/// <summary>A <see cref="TaskKind"/> as its name, "countdown" (as the enum it replaced was written).</summary>
public sealed class TaskKindJsonConverter : JsonConverter<TaskKind>
{
    public override TaskKind Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
    {
        var name = reader.GetString();
        return name is not null && Tasks.TaskFamilies.Registry.TryGet(name, out _)
            ? new TaskKind(name)
            : throw new System.Text.Json.JsonException(Tasks.TaskFamilies.Registry.UnknownReason(name ?? "(null)"));
    }

    public override void Write(System.Text.Json.Utf8JsonWriter writer, TaskKind value, System.Text.Json.JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Name);
}

/// <summary>The kind of learner slot a trial needs.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DeviceKind>))]
public enum DeviceKind
{
    [JsonStringEnumMemberName("cpu")] Cpu,
    [JsonStringEnumMemberName("cuda")] Cuda,
}
