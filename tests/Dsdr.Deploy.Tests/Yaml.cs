using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Dsdr.Deploy.Tests;

/// <summary>YAML read as plain trees: mappings are dictionaries, sequences lists, scalars strings (merge keys applied).</summary>
public static class Yaml
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder().Build();

    public static IReadOnlyList<object> LoadAll(string text)
    {
        var parser = new MergingParser(new Parser(new StringReader(text)));
        parser.Consume<StreamStart>();
        var documents = new List<object>();
        while (parser.Accept<DocumentStart>(out _))
        {
            var document = Deserializer.Deserialize<object>(parser);
            if (document is not null) documents.Add(document);
        }
        return documents;
    }

    public static object Load(string text) => LoadAll(text) is [var single] ? single : throw new FormatException("Expected one YAML document.");

    public static IDictionary<object, object>? Map(this object? node, string key) =>
        node is IDictionary<object, object> map && map.TryGetValue(key, out var value) ? value as IDictionary<object, object> : null;

    public static IReadOnlyList<object> List(this object? node, string key) =>
        node is IDictionary<object, object> map && map.TryGetValue(key, out var value) && value is List<object> list ? list : [];

    public static string? Str(this object? node, string key) =>
        node is IDictionary<object, object> map && map.TryGetValue(key, out var value) ? value as string : null;

    /// <summary>Follows a path of mapping keys; null when any step is missing.</summary>
    public static object? At(this object? node, params string[] path)
    {
        foreach (var key in path)
        {
            if (node is not IDictionary<object, object> map || !map.TryGetValue(key, out node)) return null;
        }
        return node;
    }

    public static IEnumerable<KeyValuePair<string, object>> Entries(this IDictionary<object, object>? map) =>
        map is null ? [] : map.Select(e => new KeyValuePair<string, object>((string)e.Key, e.Value));

    /// <summary>The image's repository name without registry and tag: "reg.io/x/dsdr-web:1.0" → "dsdr-web".</summary>
    public static string ImageName(string image)
    {
        var name = image.Split('@')[0];
        var slash = name.LastIndexOf('/');
        var colon = name.LastIndexOf(':');
        if (colon > slash) name = name[..colon];
        return name[(slash + 1)..];
    }

    public static string ImageTag(string image)
    {
        var name = image.Split('@')[0];
        var colon = name.LastIndexOf(':');
        return colon > name.LastIndexOf('/') ? name[(colon + 1)..] : "latest";
    }
}
