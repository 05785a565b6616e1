using System.Collections;
using System.Globalization;
using System.Text.Json.Nodes;
using Parquet;
using Parquet.Serialization;

namespace Dsdr.Core.Tasks;

/// <summary>
/// The rows of a parquet file as JSON objects (structs as objects, lists as arrays), one row group at a time, so a
/// large file never sits in memory as dictionaries all at once. Rows are numbered from 1 across row groups.
/// </summary>
internal static class ParquetRows
{
    public static IEnumerable<(JsonObject Row, int Number)> Read(string path)
    {
        ParquetOptions.PreferUntypedString = true;
        using var stream = File.OpenRead(path);
        var groups = Guarded(path, () =>
        {
            var reader = ParquetReader.CreateAsync(stream, leaveStreamOpen: true).GetAwaiter().GetResult();
            try { return reader.RowGroupCount; }
            finally { reader.DisposeAsync().AsTask().GetAwaiter().GetResult(); }
        });
        var number = 0;
        for (var g = 0; g < groups; g++)
        {
            stream.Position = 0;
            var group = g;
            var rows = Guarded(path, () => ParquetSerializer.DeserializeUntypedAsync(stream, null, group).GetAwaiter().GetResult().Data);
            foreach (var row in rows) yield return ((JsonObject)ToNode(row)!, ++number);
        }
    }

    // Parquet.Net's errors (a truncated file, a foreign one) become "file: not a readable parquet file (why)".
    private static T Guarded<T>(string path, Func<T> read)
    {
        try { return read(); }
        catch (Exception e) when (e is not OutOfMemoryException and not FileNotFoundException)
        {
            throw new InvalidDataException($"{path}: not a readable parquet file ({e.Message.TrimEnd('.')}); check that the download is complete.", e);
        }
    }

    /// <summary>A deserialised parquet value as JSON: structs and maps as objects, lists as arrays, numbers as numbers.</summary>
    public static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        bool b => JsonValue.Create(b),
        double d => JsonValue.Create(d),
        float f => JsonValue.Create(f),
        decimal m => JsonValue.Create(m),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        short i => JsonValue.Create(i),
        sbyte i => JsonValue.Create(i),
        byte i => JsonValue.Create(i),
        ulong i => JsonValue.Create(i),
        uint i => JsonValue.Create(i),
        ushort i => JsonValue.Create(i),
        byte[] bytes => JsonValue.Create(System.Text.Encoding.UTF8.GetString(bytes)),
        ReadOnlyMemory<byte> bytes => JsonValue.Create(System.Text.Encoding.UTF8.GetString(bytes.Span)),
        ReadOnlyMemory<char> chars => JsonValue.Create(chars.ToString()),
        IDictionary<string, object> map => new JsonObject(map.Select(p => KeyValuePair.Create(p.Key, ToNode(p.Value)))),
        IDictionary map => new JsonObject(map.Keys.Cast<object>().Select(k => KeyValuePair.Create(Convert.ToString(k, CultureInfo.InvariantCulture) ?? "", ToNode(map[k])))),
        IEnumerable list => new JsonArray([.. list.Cast<object?>().Select(ToNode)]),
        IFormattable f => JsonValue.Create(f.ToString(null, CultureInfo.InvariantCulture)),
        _ => JsonValue.Create(value.ToString()),
    };
}
