using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dsdr.Core.Sweeps;

/// <summary>
/// JSON options for sweep types: camelCase names. The spec parts (<see cref="SweepSpec"/>, <see cref="TaskSpec"/>,
/// <see cref="ModelSpec"/>, <see cref="EvalSpec"/>, <see cref="ResourceSpec"/>, <see cref="TrainingConfig"/>,
/// <see cref="HyperAssignment"/>) carry their own converters, so they read and write the spec format under any options.
/// </summary>
public static class SweepJson
{
    public static JsonSerializerOptions Options { get; } = Create(false);
    public static JsonSerializerOptions Indented { get; } = Create(true);

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>Reads one spec section with the parser's checks; errors become a <see cref="JsonException"/> listing them.</summary>
internal static class SectionReader
{
    public static T Read<T>(ref Utf8JsonReader reader, Func<SweepSpecParser.SpecReader, JsonElement, T?> read) where T : class
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var specReader = new SweepSpecParser.SpecReader();
        var value = read(specReader, document.RootElement);
        if (specReader.Errors.Count > 0 || value is null)
            throw new JsonException(string.Join("; ", specReader.Errors.Select(e => e.ToString())));
        return value;
    }
}

public sealed class SweepSpecJsonConverter : JsonConverter<SweepSpec>
{
    public override SweepSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var result = SweepSpecParser.Parse(document.RootElement);
        return result.IsValid ? result.Spec! : throw new JsonException(string.Join("; ", result.Errors.Select(e => e.ToString())));
    }

    public override void Write(Utf8JsonWriter writer, SweepSpec value, JsonSerializerOptions options) => SweepSpecWriter.WriteSweep(writer, value);
}

public sealed class TaskSpecJsonConverter : JsonConverter<TaskSpec>
{
    public override TaskSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        SectionReader.Read(ref reader, (r, e) => r.ReadTask(e, "$"));

    public override void Write(Utf8JsonWriter writer, TaskSpec value, JsonSerializerOptions options) => SweepSpecWriter.WriteTask(writer, value);
}

public sealed class ModelSpecJsonConverter : JsonConverter<ModelSpec>
{
    public override ModelSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        SectionReader.Read(ref reader, (r, e) => r.ReadModel(e, "$"));

    public override void Write(Utf8JsonWriter writer, ModelSpec value, JsonSerializerOptions options) => SweepSpecWriter.WriteModel(writer, value);
}

public sealed class EvalSpecJsonConverter : JsonConverter<EvalSpec>
{
    public override EvalSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        SectionReader.Read(ref reader, (r, e) => r.ReadEval(e, "$", null));

    public override void Write(Utf8JsonWriter writer, EvalSpec value, JsonSerializerOptions options) => SweepSpecWriter.WriteEval(writer, value);
}

public sealed class ResourceSpecJsonConverter : JsonConverter<ResourceSpec>
{
    public override ResourceSpec Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        SectionReader.Read(ref reader, (r, e) => r.ReadResources(e, "$"));

    public override void Write(Utf8JsonWriter writer, ResourceSpec value, JsonSerializerOptions options) => SweepSpecWriter.WriteResources(writer, value);
}

/// <summary>{"learningRate": 1e-4, ...}: every field by its JSON name; reading starts from the defaults and rejects unknown names.</summary>
public sealed class TrainingConfigJsonConverter : JsonConverter<TrainingConfig>
{
    public override TrainingConfig Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new JsonException($"a training config must be a JSON object, got {document.RootElement.ValueKind}");
        var config = TrainingConfig.Default;
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (!HyperParameters.TryGet(property.Name, out var parameter))
                throw new JsonException($"{property.Name}: unknown hyper-parameter; known: {string.Join(", ", HyperParameters.All.Select(p => p.Name))}");
            if (!parameter.TryRead(property.Value, out var value, out var reason))
                throw new JsonException($"{property.Name}: {reason}");
            config = parameter.Set(config, value);
        }
        return config;
    }

    public override void Write(Utf8JsonWriter writer, TrainingConfig value, JsonSerializerOptions options) => SweepSpecWriter.WriteConfig(writer, value);
}

/// <summary>{"key": "lambdaD", "value": 0.01}, the value typed by the key's hyper-parameter.</summary>
public sealed class HyperAssignmentJsonConverter : JsonConverter<HyperAssignment>
{
    public override HyperAssignment Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("key", out var keyElement) || keyElement.ValueKind != JsonValueKind.String
            || !root.TryGetProperty("value", out var valueElement))
            throw new JsonException("a hyper-parameter assignment must be {\"key\": name, \"value\": value}");
        var key = keyElement.GetString()!;
        if (!HyperParameters.TryGet(key, out var parameter)) throw new JsonException($"{key}: unknown hyper-parameter");
        if (!parameter.TryRead(valueElement, out var value, out var reason)) throw new JsonException($"{key}: {reason}");
        return new HyperAssignment(key, value);
    }

    public override void Write(Utf8JsonWriter writer, HyperAssignment value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        writer.WriteString("key", value.Key);
        writer.WritePropertyName("value");
        SweepSpecWriter.WriteValue(writer, value.Key, value.Value);
        writer.WriteEndObject();
    }
}
