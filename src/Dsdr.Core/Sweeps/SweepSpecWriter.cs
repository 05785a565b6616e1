using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Dsdr.Core.Sweeps;

/// <summary>Writes sweep specs and their parts in the JSON format <see cref="SweepSpecParser"/> reads.</summary>
public static class SweepSpecWriter
{
    /// <summary>The spec as JSON that parses back to the same spec.</summary>
    public static string ToJson(SweepSpec spec, bool indented = true) => Write(w => WriteSweep(w, spec), indented);

    internal static string Write(Action<Utf8JsonWriter> write, bool indented)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(writer);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public static void WriteSweep(Utf8JsonWriter w, SweepSpec spec)
    {
        w.WriteStartObject();
        w.WriteString("name", spec.Name);
        if (spec.Description is not null) w.WriteString("description", spec.Description);
        w.WritePropertyName("task"); WriteTask(w, spec.Task);
        w.WritePropertyName("model"); WriteModel(w, spec.Model);
        w.WriteStartObject("base");
        foreach (var a in spec.Base) { w.WritePropertyName(a.Key); WriteValue(w, a.Key, a.Value); }
        w.WriteEndObject();
        w.WriteStartArray("arms");
        foreach (var arm in spec.Arms) w.WriteStringValue(arm);
        w.WriteEndArray();
        w.WriteStartObject("grid");
        foreach (var axis in spec.Grid)
        {
            w.WriteStartArray(axis.Key);
            foreach (var v in axis.Values) WriteValue(w, axis.Key, v);
            w.WriteEndArray();
        }
        w.WriteEndObject();
        if (spec.Search is { } search)
        {
            w.WriteStartObject("search");
            w.WriteString("method", search.Method == SearchMethod.Sobol ? "sobol" : "random");
            w.WriteNumber("trials", search.Trials);
            w.WriteNumber("seed", search.Seed);
            w.WriteStartObject("space");
            foreach (var range in search.Ranges)
            {
                w.WriteStartObject(range.Key);
                w.WriteNumber("min", range.Min);
                w.WriteNumber("max", range.Max);
                w.WriteString("scale", range.Log ? "log" : "linear");
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        if (spec.EarlyStopping is { } stopping) WriteEarlyStopping(w, stopping);
        w.WriteStartArray("seeds");
        foreach (var seed in spec.Seeds) w.WriteNumberValue(seed);
        w.WriteEndArray();
        w.WritePropertyName("eval"); WriteEval(w, spec.Eval);
        w.WritePropertyName("resources"); WriteResources(w, spec.Resources);
        w.WriteNumber("maxTrials", spec.MaxTrials);
        w.WriteEndObject();
    }

    private static void WriteEarlyStopping(Utf8JsonWriter w, EarlyStoppingSpec stopping)
    {
        w.WriteStartObject("earlyStopping");
        if (stopping.Asha is { } asha)
        {
            w.WriteStartObject("asha");
            w.WriteString("metric", asha.Metric);
            w.WriteStartArray("rungs");
            foreach (var rung in asha.Rungs) w.WriteNumberValue(rung);
            w.WriteEndArray();
            w.WriteNumber("reductionFactor", asha.ReductionFactor);
            w.WriteBoolean("maximize", asha.Maximize);
            w.WriteEndObject();
        }
        if (stopping.DiversityCollapse is { } collapse)
        {
            w.WriteStartObject("diversityCollapse");
            w.WriteString("metric", collapse.Metric);
            w.WriteNumber("fraction", collapse.Fraction);
            w.WriteNumber("patience", collapse.Patience);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    /// <summary>A hyper-parameter value; for an unknown key, by the value's runtime type (so invalid specs still round-trip to errors).</summary>
    internal static void WriteValue(Utf8JsonWriter w, string key, object? value)
    {
        if (HyperParameters.TryGet(key, out var parameter)) { parameter.Write(w, value); return; }
        JsonSerializer.Serialize(w, value, value?.GetType() ?? typeof(object), SweepJson.Options);
    }

    /// <summary>Only the fields that belong to the task's kind (its family writes them).</summary>
    public static void WriteTask(Utf8JsonWriter w, TaskSpec task)
    {
        w.WriteStartObject();
        w.WriteString("kind", task.Kind.Name);
        task.Kind.Family.WriteSettings(w, task);
        w.WriteEndObject();
    }

    internal static void WriteRange(Utf8JsonWriter w, string name, IntRange range)
    {
        w.WriteStartObject(name);
        w.WriteNumber("min", range.Min);
        w.WriteNumber("max", range.Max);
        w.WriteEndObject();
    }

    public static void WriteModel(Utf8JsonWriter w, ModelSpec model)
    {
        w.WriteStartObject();
        if (model.Preset is not null) w.WriteString("preset", model.Preset);
        if (model.Checkpoint is not null) w.WriteString("checkpoint", model.Checkpoint);
        w.WriteStartObject("sft");
        w.WriteBoolean("enabled", model.Sft.Enabled);
        w.WriteNumber("steps", model.Sft.Steps);
        w.WriteNumber("batchSize", model.Sft.BatchSize);
        w.WriteNumber("learningRate", model.Sft.LearningRate);
        w.WriteNumber("warmupSteps", model.Sft.WarmupSteps);
        w.WriteNumber("seed", model.Sft.Seed);
        w.WriteEndObject();
        if (model.Checkpoint is not null)
        {
            w.WriteString("chatTemplate", SweepSpecParser.ChatTemplateNames.Single(p => p.Value == model.ChatTemplate).Key);
            w.WriteBoolean("enableThinking", model.EnableThinking);
            w.WriteString("instruction", model.Instruction);
        }
        w.WriteEndObject();
    }

    public static void WriteEval(Utf8JsonWriter w, EvalSpec eval)
    {
        w.WriteStartObject();
        w.WriteNumber("everySteps", eval.EverySteps);
        w.WriteBoolean("atStart", eval.AtStart);
        w.WriteNumber("pass1Temperature", eval.Pass1Temperature);
        w.WriteNumber("pass1TopP", eval.Pass1TopP);
        w.WriteNumber("avgK", eval.AvgK);
        w.WriteNumber("avgTemperature", eval.AvgTemperature);
        w.WriteNumber("topP", eval.TopP);
        w.WriteNumber("passKSamples", eval.PassKSamples);
        w.WriteNumber("diversityTemperature", eval.DiversityTemperature);
        w.WriteNumber("diversityTopP", eval.DiversityTopP);
        w.WriteNumber("diversitySamples", eval.DiversitySamples);
        w.WriteStartArray("benchmarks");
        foreach (var b in eval.Benchmarks) w.WriteStringValue(b);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void WriteResources(Utf8JsonWriter w, ResourceSpec resources)
    {
        w.WriteStartObject();
        w.WriteString("device", resources.Device == DeviceKind.Cuda ? "cuda" : "cpu");
        w.WriteNumber("memoryGiB", resources.MemoryGiB);
        w.WriteNumber("priority", resources.Priority);
        w.WriteEndObject();
    }

    /// <summary>Every hyper-parameter of the config, in table order, by JSON name.</summary>
    public static void WriteConfig(Utf8JsonWriter w, TrainingConfig config)
    {
        w.WriteStartObject();
        foreach (var p in HyperParameters.All)
        {
            w.WritePropertyName(p.Name);
            p.Write(w, p.Get(config));
        }
        w.WriteEndObject();
    }

    public static bool TryParseDevice(string text, out DeviceKind device)
    {
        device = text == "cuda" ? DeviceKind.Cuda : DeviceKind.Cpu;
        return text is "cpu" or "cuda";
    }
}
