using System.Text.Json;
using System.Text.Json.Serialization;
using Dsdr.Core.Method;

namespace Dsdr.Core.Sweeps;

/// <summary>Writes <see cref="SemanticNeighbours"/> as "group" / "correct-only" (the sweep and score JSON names).</summary>
public sealed class SemanticNeighboursJsonConverter : JsonConverter<SemanticNeighbours>
{
    public const string GroupName = "group";
    public const string CorrectOnlyName = "correct-only";

    public static string ToName(SemanticNeighbours value) => value switch
    {
        SemanticNeighbours.Group => GroupName,
        SemanticNeighbours.CorrectOnly => CorrectOnlyName,
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "unknown neighbour set"),
    };

    public static bool TryParse(string? name, out SemanticNeighbours value)
    {
        switch (name)
        {
            case GroupName: value = SemanticNeighbours.Group; return true;
            case CorrectOnlyName: value = SemanticNeighbours.CorrectOnly; return true;
            default: value = default; return false;
        }
    }

    public override SemanticNeighbours Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var name = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        return TryParse(name, out var value)
            ? value
            : throw new JsonException($"semanticNeighbours must be \"{GroupName}\" or \"{CorrectOnlyName}\", got {name ?? reader.TokenType.ToString()}");
    }

    public override void Write(Utf8JsonWriter writer, SemanticNeighbours value, JsonSerializerOptions options) =>
        writer.WriteStringValue(ToName(value));
}
