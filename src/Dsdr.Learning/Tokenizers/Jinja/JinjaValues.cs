using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Dsdr.Learning.Tokenizers.Jinja;

/// <summary>A name or attribute that does not exist: falsy, empty, prints nothing, and `is defined` is false.</summary>
internal sealed class Undefined(string name)
{
    public string Name { get; } = name;
}

/// <summary>The mutable object namespace(...) makes: its attributes survive a for loop's scope.</summary>
internal sealed class Namespace(Dictionary<string, object?> attributes)
{
    public Dictionary<string, object?> Attributes { get; } = attributes;
}

internal delegate object? JinjaFunction(IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs);

/// <summary>
/// Values as the renderer holds them — null (none), <see cref="Undefined"/>, bool, long, double, string,
/// List&lt;object?&gt; (lists and tuples), Dictionary&lt;string, object?&gt; (mappings), <see cref="Namespace"/> — and
/// the Python semantics chat templates rely on: truth, equality, str(), json.dumps.
/// </summary>
internal static class JinjaValues
{
    /// <summary>A .NET value (JsonElement, records' dictionaries, lists, numbers) as a template value.</summary>
    public static object? From(object? value) => value switch
    {
        null => null,
        string or bool or long or double or Undefined or Namespace or JinjaFunction => value,
        int i => (long)i,
        float f => (double)f,
        decimal m => (double)m,
        JsonElement e => FromJson(e),
        IReadOnlyDictionary<string, object?> d => d.ToDictionary(p => p.Key, p => From(p.Value)),
        IDictionary d => d.Keys.Cast<object>().ToDictionary(k => k.ToString()!, k => From(d[k])),
        IEnumerable items => items.Cast<object?>().Select(From).ToList(),
        _ => throw new ArgumentException($"A {value.GetType().Name} cannot be passed to a chat template; use strings, numbers, booleans, lists and dictionaries."),
    };

    private static object? FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.Array => e.EnumerateArray().Select(FromJson).ToList(),
        _ => e.EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value)),
    };

    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> l => l.Count > 0,
        Dictionary<string, object?> d => d.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? v) => v is long or double;

    public static double Number(object? v) => v switch { long l => l, double d => d, bool b => b ? 1 : 0, _ => throw new InvalidCastException() };

    public static bool AreEqual(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (Undefined, Undefined) => true,
        (long x, long y) => x == y,
        (long or double or bool, long or double or bool) => Number(a) == Number(b),
        (string x, string y) => x == y,
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => AreEqual(p.First, p.Second)),
        (Dictionary<string, object?> x, Dictionary<string, object?> y) => x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var o) && AreEqual(p.Value, o)),
        _ => ReferenceEquals(a, b),
    };

    /// <summary>Python's str(): what {{ value }} prints.</summary>
    public static string Str(object? v) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(v),
    };

    /// <summary>Python's repr() of a value inside a list or dict.</summary>
    public static string Repr(object? v) => v switch
    {
        null => "None",
        Undefined => "",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => PythonFloat(d),
        string s => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'").Replace("\n", "\\n") + "'",
        List<object?> l => "[" + string.Join(", ", l.Select(Repr)) + "]",
        Dictionary<string, object?> d => "{" + string.Join(", ", d.Select(p => Repr(p.Key) + ": " + Repr(p.Value))) + "}",
        Namespace => "<Namespace>",
        _ => v.ToString() ?? "",
    };

    // repr(float): shortest round-trip digits, '.0' on integral values, 'e' exponents.
    public static string PythonFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        var text = d.ToString("R", CultureInfo.InvariantCulture).Replace('E', 'e');
        return text.Contains('.') || text.Contains('e') ? text : text + ".0";
    }

    /// <summary>json.dumps(v, ensure_ascii=False, indent=indent) as transformers' tojson filter writes it.</summary>
    public static string Json(object? v, int? indent)
    {
        var text = new StringBuilder();
        WriteJson(text, v, indent, 0);
        return text.ToString();
    }

    private static void WriteJson(StringBuilder text, object? v, int? indent, int depth)
    {
        switch (v)
        {
            case null: text.Append("null"); return;
            case bool b: text.Append(b ? "true" : "false"); return;
            case long l: text.Append(l.ToString(CultureInfo.InvariantCulture)); return;
            case double d: text.Append(double.IsFinite(d) ? PythonFloat(d) : double.IsNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity"); return;
            case string s: JsonString(text, s); return;
            case List<object?> list: Container(text, '[', ']', list, (t, item) => WriteJson(t, item, indent, depth + 1), indent, depth); return;
            case Dictionary<string, object?> map:
                Container(text, '{', '}', map.ToList(), (t, p) => { JsonString(t, p.Key); t.Append(": "); WriteJson(t, p.Value, indent, depth + 1); }, indent, depth);
                return;
            case Namespace ns: WriteJson(text, ns.Attributes, indent, depth); return;
            default: throw new InvalidOperationException($"tojson: a {(v is Undefined u ? $"undefined value ('{u.Name}')" : v.GetType().Name)} is not JSON serializable");
        }
    }

    private static void Container<T>(StringBuilder text, char open, char close, IReadOnlyList<T> items, Action<StringBuilder, T> write, int? indent, int depth)
    {
        text.Append(open);
        if (items.Count == 0) { text.Append(close); return; }
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0) text.Append(indent is null ? ", " : ",");
            if (indent is { } n) text.Append('\n').Append(' ', n * (depth + 1));
            write(text, items[i]);
        }
        if (indent is { } m) text.Append('\n').Append(' ', m * depth);
        text.Append(close);
    }

    private static void JsonString(StringBuilder text, string s)
    {
        text.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                case < ' ': text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: text.Append(c); break;
            }
        }
        text.Append('"');
    }

    public static string TypeName(object? v) => v switch
    {
        null => "none",
        Undefined u => $"undefined ('{u.Name}')",
        bool => "boolean",
        long => "integer",
        double => "float",
        string => "string",
        List<object?> => "list",
        Dictionary<string, object?> => "mapping",
        Namespace => "namespace",
        JinjaFunction => "function",
        _ => v.GetType().Name,
    };
}
