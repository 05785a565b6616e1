using System.Globalization;
using System.Text;
using static Dsdr.Learning.Tokenizers.Jinja.JinjaValues;

namespace Dsdr.Learning.Tokenizers.Jinja;

/// <summary>
/// The filters, tests, string/dict methods and global functions of our Jinja subset, with Python's semantics
/// (str.split, str.strip, slices, floor division) as transformers' Jinja2 gives them to chat templates.
/// </summary>
internal static class JinjaBuiltins
{
    public static IReadOnlyDictionary<string, JinjaFunction> Globals { get; } = new Dictionary<string, JinjaFunction>
    {
        ["namespace"] = (args, kwargs) =>
        {
            var attributes = args.Count == 1 && args[0] is Dictionary<string, object?> d ? new Dictionary<string, object?>(d) : [];
            foreach (var (k, v) in kwargs) attributes[k] = v;
            return new Namespace(attributes);
        },
        ["range"] = (args, _) =>
        {
            var ints = args.Select(a => a is long l ? l : throw new ArgumentException($"range() takes integers, got a {TypeName(a)}")).ToArray();
            var (start, stop, step) = ints.Length switch { 1 => (0L, ints[0], 1L), 2 => (ints[0], ints[1], 1L), 3 => (ints[0], ints[1], ints[2]), _ => throw new ArgumentException("range() takes 1 to 3 integers") };
            if (step == 0) throw new ArgumentException("range() step must not be zero");
            var items = new List<object?>();
            for (var i = start; step > 0 ? i < stop : i > stop; i += step) items.Add(i);
            return items;
        },
        ["raise_exception"] = (args, _) => throw new JinjaTemplateException($"the chat template refused the conversation: {(args.Count > 0 ? Str(args[0]) : "raise_exception()")}"),
    };

    // ---- filters ----

    public static readonly string[] FilterNames =
        ["length", "count", "trim", "tojson", "upper", "lower", "capitalize", "title", "string", "int", "float", "list", "join", "first", "last",
         "reverse", "default", "d", "replace", "items", "safe", "abs", "map", "select", "reject", "selectattr", "rejectattr"];

    public static bool TryFilter(string name, object? value, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, out object? result)
    {
        object? Arg(int index, string key, object? fallback) => index < args.Count ? args[index] : kwargs.TryGetValue(key, out var v) ? v : fallback;
        result = name switch
        {
            "length" or "count" => (long)Length(value),
            "trim" => Strip(AsString(value, name), Arg(0, "chars", null) as string, left: true, right: true),
            "tojson" => Json(value, Arg(0, "indent", null) is long n ? (int)n : null),
            "upper" => AsString(value, name).ToUpperInvariant(),
            "lower" => AsString(value, name).ToLowerInvariant(),
            "capitalize" => Capitalize(AsString(value, name)),
            "title" => Title(AsString(value, name)),
            "string" => Str(value),
            "int" => ToInt(value, Arg(0, "default", 0L)),
            "float" => ToFloat(value, Arg(0, "default", 0.0)),
            "list" => Items(value, name),
            "join" => string.Join(Str(Arg(0, "d", "")), Items(value, name).Select(i => Str(Arg(1, "attribute", null) is string a ? Attribute(i, a) : i))),
            "first" => Items(value, name) is { Count: > 0 } f ? f[0] : new Undefined("first"),
            "last" => Items(value, name) is { Count: > 0 } l ? l[^1] : new Undefined("last"),
            "reverse" => value is string s ? new string(s.Reverse().ToArray()) : Enumerable.Reverse(Items(value, name)).ToList(),
            "default" or "d" => value is Undefined || (Truthy(Arg(1, "boolean", false)) && !Truthy(value)) ? Arg(0, "default_value", "") : value,
            "replace" => Replace(AsString(value, name), AsString(Arg(0, "old", null), "replace's old"), AsString(Arg(1, "new", null), "replace's new"), Arg(2, "count", null) as long?),
            "items" => value is Dictionary<string, object?> m ? m.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList() : value is Undefined ? [] : throw new ArgumentException($"items needs a mapping, got a {TypeName(value)}"),
            "safe" => value,
            "abs" => value is long a ? (object)Math.Abs(a) : IsNumber(value) ? Math.Abs(Number(value)) : throw new ArgumentException($"abs needs a number, got a {TypeName(value)}"),
            "map" => Items(value, name).Select(i => kwargs.TryGetValue("attribute", out var attribute) ? Attribute(i, Str(attribute))
                : TryFilter(AsString(Arg(0, "filter", null), "map's filter name"), i, args.Skip(1).ToList(), new Dictionary<string, object?>(), out var mapped) ? mapped
                : throw new ArgumentException($"map: the filter '{Str(args[0])}' is not supported")).ToList(),
            "select" or "reject" => Items(value, name).Where(i => Selected(i, args, name == "select")).ToList(),
            "selectattr" or "rejectattr" => Items(value, name).Where(i => Selected(Attribute(i, AsString(Arg(0, "attribute", null), $"{name}'s attribute")), args.Skip(1).ToList(), name == "selectattr")).ToList(),
            _ => Unknown,
        };
        if (!ReferenceEquals(result, Unknown)) return true;
        result = null;
        return false;
    }

    private static readonly object Unknown = new();

    private static bool Selected(object? item, IReadOnlyList<object?> args, bool keep)
    {
        var passes = args.Count == 0 ? Truthy(item)
            : Test(AsString(args[0], "the test name"), item, args.Skip(1).ToList()) ?? throw new ArgumentException($"the test '{Str(args[0])}' is not supported");
        return passes == keep;
    }

    private static object? Attribute(object? item, string name) => item switch
    {
        Dictionary<string, object?> d => d.TryGetValue(name, out var v) ? v : new Undefined(name),
        Namespace ns => ns.Attributes.TryGetValue(name, out var v) ? v : new Undefined(name),
        _ => new Undefined(name),
    };

    // len(): code points of a string, items of a list or mapping.
    private static int Length(object? value) => value switch
    {
        string s => s.EnumerateRunes().Count(),
        List<object?> l => l.Count,
        Dictionary<string, object?> d => d.Count,
        Namespace ns => ns.Attributes.Count,
        Undefined => 0,
        _ => throw new ArgumentException($"a {TypeName(value)} has no length"),
    };

    private static List<object?> Items(object? value, string what) => value switch
    {
        List<object?> l => l,
        Dictionary<string, object?> d => d.Keys.Cast<object?>().ToList(),
        string s => s.Select(c => (object?)c.ToString()).ToList(),
        Undefined => [],
        _ => throw new ArgumentException($"{what} needs a list, got a {TypeName(value)}"),
    };

    private static string AsString(object? value, string what) => value switch
    {
        string s => s,
        Undefined => "",
        _ => throw new ArgumentException($"{what} needs a string, got a {TypeName(value)}"),
    };

    private static object? ToInt(object? value, object? fallback) => value switch
    {
        long l => l,
        double d => (long)Math.Truncate(d),
        bool b => b ? 1L : 0L,
        string s when long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => l,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => (long)Math.Truncate(d),
        _ => fallback,
    };

    private static object? ToFloat(object? value, object? fallback) => value switch
    {
        long or double => Number(value),
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => fallback,
    };

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    // str.title(): a letter after a non-letter is upper-cased, every other letter lower-cased.
    private static string Title(string s)
    {
        var text = new StringBuilder(s.Length);
        var previousIsLetter = false;
        foreach (var c in s)
        {
            text.Append(previousIsLetter ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c));
            previousIsLetter = char.IsLetter(c);
        }
        return text.ToString();
    }

    private static string Replace(string s, string old, string replacement, long? count)
    {
        if (count is null || count < 0) return old.Length == 0 ? string.Concat(s.Select(c => replacement + c)) + replacement : s.Replace(old, replacement, StringComparison.Ordinal);
        var text = new StringBuilder();
        var at = 0;
        for (var n = 0; n < count; n++)
        {
            var found = s.IndexOf(old, at, StringComparison.Ordinal);
            if (found < 0 || old.Length == 0) break;
            text.Append(s, at, found - at).Append(replacement);
            at = found + old.Length;
        }
        return text.Append(s, at, s.Length - at).ToString();
    }

    // ---- tests ----

    public static readonly string[] TestNames =
        ["defined", "undefined", "none", "string", "number", "integer", "float", "boolean", "true", "false", "mapping", "iterable", "sequence",
         "even", "odd", "divisibleby", "eq", "equalto", "ne", "lt", "gt", "le", "ge", "in", "lower", "upper"];

    /// <summary>`value is name(args)`; null when the test is not one we support.</summary>
    public static bool? Test(string name, object? value, IReadOnlyList<object?> args)
    {
        object? Arg() => args.Count > 0 ? args[0] : throw new ArgumentException($"the test '{name}' needs an argument");
        return name switch
        {
            "defined" => value is not Undefined,
            "undefined" => value is Undefined,
            "none" => value is null,
            "string" => value is string,
            "number" => value is long or double,
            "integer" => value is long,
            "float" => value is double,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "mapping" => value is Dictionary<string, object?> or Namespace,
            "iterable" => value is string or List<object?> or Dictionary<string, object?> or Undefined,
            "sequence" => value is string or List<object?> or Dictionary<string, object?>,
            "even" => value is long l && l % 2 == 0,
            "odd" => value is long l && l % 2 != 0,
            "divisibleby" => value is long l && Arg() is long n && n != 0 && l % n == 0,
            "eq" or "equalto" => AreEqual(value, Arg()),
            "ne" => !AreEqual(value, Arg()),
            "lt" => Number(value) < Number(Arg()),
            "gt" => Number(value) > Number(Arg()),
            "le" => Number(value) <= Number(Arg()),
            "ge" => Number(value) >= Number(Arg()),
            "in" => Contains(Arg(), value),
            "lower" => value is string s && s == s.ToLowerInvariant(),
            "upper" => value is string s && s == s.ToUpperInvariant(),
            _ => null,
        };
    }

    // ---- methods ----

    private static readonly string[] StringMethods = ["strip", "lstrip", "rstrip", "split", "startswith", "endswith", "upper", "lower", "title", "capitalize", "replace", "find", "count", "join"];
    private static readonly string[] MappingMethods = ["items", "keys", "values", "get"];

    public static IReadOnlyList<string> MethodNames(object? target) => target is string ? StringMethods : target is Dictionary<string, object?> ? MappingMethods : [];

    public static bool TryMethod(object? target, string name, IReadOnlyList<object?> args, IReadOnlyDictionary<string, object?> kwargs, out object? result)
    {
        object? Arg(int index, string key) => index < args.Count ? args[index] : kwargs.TryGetValue(key, out var v) ? v : null;
        result = (target, name) switch
        {
            (string s, "strip") => Strip(s, Arg(0, "chars") as string, left: true, right: true),
            (string s, "lstrip") => Strip(s, Arg(0, "chars") as string, left: true, right: false),
            (string s, "rstrip") => Strip(s, Arg(0, "chars") as string, left: false, right: true),
            (string s, "split") => Split(s, Arg(0, "sep") as string, Arg(1, "maxsplit") as long? ?? -1),
            (string s, "startswith") => Affixes(Arg(0, "prefix"), name).Any(p => s.StartsWith(p, StringComparison.Ordinal)),
            (string s, "endswith") => Affixes(Arg(0, "suffix"), name).Any(p => s.EndsWith(p, StringComparison.Ordinal)),
            (string s, "upper") => s.ToUpperInvariant(),
            (string s, "lower") => s.ToLowerInvariant(),
            (string s, "title") => Title(s),
            (string s, "capitalize") => Capitalize(s),
            (string s, "replace") => Replace(s, AsString(Arg(0, "old"), "replace's old"), AsString(Arg(1, "new"), "replace's new"), Arg(2, "count") as long?),
            (string s, "find") => (long)s.IndexOf(AsString(Arg(0, "sub"), "find's argument"), StringComparison.Ordinal),
            (string s, "count") => (long)Count(s, AsString(Arg(0, "sub"), "count's argument")),
            (string s, "join") => string.Join(s, Items(Arg(0, "iterable"), "join").Select(Str)),
            (Dictionary<string, object?> d, "items") => d.Select(p => (object?)new List<object?> { p.Key, p.Value }).ToList(),
            (Dictionary<string, object?> d, "keys") => d.Keys.Cast<object?>().ToList(),
            (Dictionary<string, object?> d, "values") => d.Values.ToList(),
            (Dictionary<string, object?> d, "get") => d.TryGetValue(AsString(Arg(0, "key"), "get's key"), out var v) ? v : Arg(1, "default"),
            _ => Unknown,
        };
        if (!ReferenceEquals(result, Unknown)) return true;
        result = null;
        return false;
    }

    private static IEnumerable<string> Affixes(object? arg, string method) => arg switch
    {
        string s => [s],
        List<object?> l => l.Select(x => AsString(x, method)),
        _ => throw new ArgumentException($"{method}() needs a string or a tuple of strings, got a {TypeName(arg)}"),
    };

    private static int Count(string s, string sub)
    {
        if (sub.Length == 0) return s.Length + 1;
        var n = 0;
        for (var at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    // str.strip(chars): chars null = whitespace.
    private static string Strip(string s, string? chars, bool left, bool right)
    {
        bool Strippable(char c) => chars is null ? char.IsWhiteSpace(c) : chars.Contains(c);
        int start = 0, end = s.Length;
        if (left) while (start < end && Strippable(s[start])) start++;
        if (right) while (end > start && Strippable(s[end - 1])) end--;
        return s[start..end];
    }

    // str.split(sep=None, maxsplit=-1): None splits on runs of whitespace and drops empty ends.
    private static List<object?> Split(string s, string? sep, long maxSplit)
    {
        if (sep is not null)
        {
            if (sep.Length == 0) throw new ArgumentException("split() separator must not be empty");
            return (maxSplit < 0 ? s.Split(sep) : s.Split(sep, (int)Math.Min(maxSplit + 1, int.MaxValue))).Cast<object?>().ToList();
        }
        var parts = new List<object?>();
        var i = 0;
        while (i < s.Length)
        {
            while (i < s.Length && char.IsWhiteSpace(s[i])) i++;
            if (i == s.Length) break;
            if (maxSplit >= 0 && parts.Count == maxSplit) { parts.Add(s[i..].TrimEnd()); break; }
            var start = i;
            while (i < s.Length && !char.IsWhiteSpace(s[i])) i++;
            parts.Add(s[start..i]);
        }
        return parts;
    }

    // ---- operators ----

    public static bool Contains(object? container, object? item) => container switch
    {
        string s => item is string sub ? s.Contains(sub, StringComparison.Ordinal) : throw new ArgumentException($"'in <string>' needs a string on the left, got a {TypeName(item)}"),
        List<object?> l => l.Any(x => AreEqual(x, item)),
        Dictionary<string, object?> d => item is string key && d.ContainsKey(key),
        Undefined => false,
        _ => throw new ArgumentException($"'in' needs a string, list or mapping on the right, got a {TypeName(container)}"),
    };

    /// <summary>+ - * / // % ** with Python's types and floor semantics; null when undefined for these operands.</summary>
    public static object? Arithmetic(string op, object? left, object? right)
    {
        switch (op, left, right)
        {
            case ("+", string a, string b): return a + b;
            case ("+", List<object?> a, List<object?> b): return a.Concat(b).ToList();
            case ("*", string a, long n): return string.Concat(Enumerable.Repeat(a, (int)Math.Max(0, n)));
            case ("*", List<object?> a, long n): return Enumerable.Repeat(a, (int)Math.Max(0, n)).SelectMany(x => x).ToList();
            case ("%", string, _): throw new ArgumentException("'%' string formatting is not supported by our Jinja subset; use '~' or '+'");
        }
        if (!IsNumber(left) || !IsNumber(right)) return null;
        if (left is long x && right is long y)
        {
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "//": return y == 0 ? throw new DivideByZeroException("integer division by zero") : FloorDiv(x, y);
                case "%": return y == 0 ? throw new DivideByZeroException("modulo by zero") : x - (y * FloorDiv(x, y));
                case "**" when y >= 0: return (long)Math.Pow(x, y);
            }
        }
        double p = Number(left), q = Number(right);
        return op switch
        {
            "+" => p + q,
            "-" => p - q,
            "*" => p * q,
            "/" => q == 0 ? throw new DivideByZeroException("division by zero") : p / q,
            "//" => q == 0 ? throw new DivideByZeroException("division by zero") : Math.Floor(p / q),
            "%" => q == 0 ? throw new DivideByZeroException("modulo by zero") : p - (q * Math.Floor(p / q)),
            "**" => Math.Pow(p, q),
            _ => null,
        };
    }

    // ⌊x / y⌋ for integers
    private static long FloorDiv(long x, long y) => (x / y) - ((x % y != 0 && (x < 0) != (y < 0)) ? 1 : 0);

    /// <summary>target[start:stop:step] with Python's slice rules, on lists and strings.</summary>
    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        var n = target switch { List<object?> l => l.Count, string s => s.Length, _ => throw new ArgumentException($"a {TypeName(target)} cannot be sliced") };
        long Int(object? v, string what) => v is long l ? l : throw new ArgumentException($"slice {what} must be an integer, got a {TypeName(v)}");
        var by = step is null ? 1 : Int(step, "step");
        if (by == 0) throw new ArgumentException("slice step must not be zero");
        long Bound(object? v, long fallback, long low, long high)
        {
            if (v is null) return fallback;
            var i = Int(v, "bound");
            if (i < 0) i += n;
            return Math.Clamp(i, low, high);
        }
        var (from, to) = by > 0 ? (Bound(start, 0, 0, n), Bound(stop, n, 0, n)) : (Bound(start, n - 1, -1, n - 1), Bound(stop, -1, -1, n - 1));
        var indices = new List<int>();
        for (var i = from; by > 0 ? i < to : i > to; i += by) indices.Add((int)i);
        return target is string str ? string.Concat(indices.Select(i => str[i])) : indices.Select(i => ((List<object?>)target!)[i]).ToList();
    }
}
